"""Zig from its pinned PyPI wheel, as a repository, and the module extension that declares it.

pip fetches the wheel (it knows its index; nothing here names a host) and
checks it against the hash in requirements.txt. A wheel is a zip archive;
the repository holds `zig`, its `lib/`, and `zig-cc`, `zig-ar` and
`zig-objcopy`: static launchers, built here by that `zig`, that run
`zig SUBCOMMAND ARGS...` (launcher.zig).
"""

_LAUNCHERS = ["cc", "ar", "objcopy"]

_BUILD = """\
package(default_visibility = ["//visibility:public"])

exports_files(["zig-cc", "zig-ar", "zig-objcopy"])

# What compiling C for x86_64-linux-gnu needs: clang's headers and glibc's
# (the directories `zig cc -v` searches for that target), 1,800 files of
# lib/'s 17,000: every one is an input of every compile. Zig recognizes its
# lib/ by lib/std/std.zig.
filegroup(
    name = "compiler_files",
    srcs = ["zig", "zig-cc", "lib/std/std.zig"] + glob([
        "lib/include/**",
        "lib/libc/include/x86-linux-gnu/**",
        "lib/libc/include/generic-glibc/**",
        "lib/libc/include/x86-linux-any/**",
        "lib/libc/include/any-linux-any/**",
    ], allow_empty = False),
)

# What linking for x86_64-linux-gnu needs, as a cold link opens it: Zig
# builds glibc's start files and stub libraries, and compiler_rt, from these
# sources (3,000 files of lib/'s 17,000), once per link.
filegroup(
    name = "linker_files",
    srcs = [":compiler_files"] + glob([
        "lib/*.zig",
        "lib/zig.h",
        "lib/c/**",
        "lib/compiler_rt/**",
        "lib/std/**",
        "lib/libc/glibc/**",
    ], allow_empty = False),
)

filegroup(
    name = "ar_files",
    srcs = ["zig", "zig-ar"],
)

filegroup(
    name = "objcopy_files",
    srcs = ["zig", "zig-objcopy"],
)
"""

def _zig_wheel_impl(rctx):
    python = rctx.which("python3")
    if not python:
        fail("zig_wheel: python3 is not on PATH; pip needs it to fetch the wheel")
    rctx.report_progress("pip: a venv to fetch the ziglang wheel with")
    result = rctx.execute([python, "-m", "venv", "venv"])
    if result.return_code:
        fail("zig_wheel: python3 -m venv failed:\n" + result.stderr)
    requirements = rctx.path(rctx.attr.requirements)
    rctx.report_progress("pip: ziglang, checked against " + str(rctx.attr.requirements))
    result = rctx.execute(
        [
            "venv/bin/pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--require-hashes",
            "--dest=wheel",
            "--requirement",
            str(requirements),
        ],
        timeout = 900,
    )
    if result.return_code:
        fail("zig_wheel: pip could not fetch what {} pins:\n{}".format(rctx.attr.requirements, result.stderr))
    wheels = [f for f in rctx.path("wheel").readdir() if f.basename.endswith(".whl")]
    if len(wheels) != 1:
        fail("zig_wheel: expected one wheel from pip, got {}".format([w.basename for w in wheels]))

    # A wheel is a zip file; extract() goes by the name.
    rctx.symlink(wheels[0], "wheel/ziglang.zip")
    rctx.extract("wheel/ziglang.zip", stripPrefix = "ziglang")
    if not rctx.path("zig").exists:
        fail("zig_wheel: {} has no ziglang/zig".format(wheels[0].basename))
    rctx.delete("wheel")
    rctx.delete("venv")

    for subcommand in _LAUNCHERS:
        rctx.report_progress("zig: building zig-" + subcommand)
        source = "launcher_{}.zig".format(subcommand)
        rctx.template(source, rctx.attr.launcher, substitutions = {"{SUBCOMMAND}": subcommand})
        result = rctx.execute([
            "./zig",
            "build-exe",
            source,
            "-target",
            "x86_64-linux",
            "-O",
            "ReleaseSmall",
            "-fstrip",
            "--cache-dir",
            "launcher-cache",
            "--global-cache-dir",
            "launcher-cache",
            "-femit-bin=zig-" + subcommand,
        ], timeout = 600)
        if result.return_code:
            fail("zig_wheel: building zig-{} failed:\n{}".format(subcommand, result.stderr))
        rctx.delete(source)
    rctx.delete("launcher-cache")
    rctx.file("BUILD.bazel", _BUILD)

zig_wheel = repository_rule(
    implementation = _zig_wheel_impl,
    doc = "Zig from the ziglang wheel that `requirements` pins by hash.",
    attrs = {
        "launcher": attr.label(
            default = "//zig:launcher.zig",
            allow_single_file = True,
            doc = "The launchers' source; `{SUBCOMMAND}` stands for the subcommand.",
        ),
        "requirements": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "A pip requirements file that pins ziglang with --hash.",
        ),
    },
)

def _zig_impl(module_ctx):
    zig_wheel(name = "zig", requirements = Label("//zig:requirements.txt"))
    return module_ctx.extension_metadata(reproducible = True)

zig = module_extension(
    implementation = _zig_impl,
    doc = "Declares @zig, the pinned Zig toolchain.",
)
