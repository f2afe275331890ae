"""glibc_compat_test: a binary run inside runtimes, each expected to run it or refuse it."""

load("//rules:providers.bzl", "RuntimeInfo", "SquashfsInfo")

def _runtime_key(info):
    return "{}/{}".format(info.name, info.arch)

def _glibc_compat_test_impl(ctx):
    image = ctx.attr.image[SquashfsInfo]
    in_image = {_runtime_key(r): True for r in image.runtimes}

    cases = []
    expectations = [(t, "run", "") for t in ctx.attr.runtimes]
    expectations += [(t, "fail", message) for t, message in ctx.attr.failing_runtimes.items()]
    for target, expect, message in expectations:
        key = _runtime_key(target[RuntimeInfo])
        if key not in in_image:
            fail("{}: runtime {} ({}) is not in the image {}, which has: {}".format(
                ctx.label,
                key,
                target.label,
                ctx.attr.image.label,
                ", ".join(sorted(in_image.keys())) or "no runtimes",
            ))
        if "\t" in message or "\n" in message:
            fail("{}: the expected failure message for {} must be one line without tabs".format(ctx.label, key))
        cases.append("\t".join([target[RuntimeInfo].name, target[RuntimeInfo].arch, expect, message]))
    if not cases:
        fail("{}: give at least one runtime in `runtimes` or `expect_failure`".format(ctx.label))

    cases_file = ctx.actions.declare_file(ctx.label.name + ".cases")
    ctx.actions.write(cases_file, "\n".join(cases) + "\n")
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._runner,
        output = script,
        substitutions = {
            "%BINARY%": ctx.executable.binary.short_path,
            "%CASES%": cases_file.short_path,
            "%IMAGE%": image.image.short_path,
            "%TOOL%": ctx.executable._tool.short_path,
        },
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = [cases_file, image.image, ctx.executable.binary])
    runfiles = runfiles.merge(ctx.attr._tool[DefaultInfo].default_runfiles)
    runfiles = runfiles.merge(ctx.attr.binary[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

glibc_compat_test = rule(
    implementation = _glibc_compat_test_impl,
    test = True,
    doc = "See `glibc_compat_test` in `@rules_actiond//rules:compat.bzl`.",
    attrs = {
        "binary": attr.label(
            executable = True,
            cfg = "target",
            mandatory = True,
            doc = "The program to run: a self-contained ELF (it sees only the runtime's files and its own directory).",
        ),
        "failing_runtimes": attr.label_keyed_string_dict(
            providers = [RuntimeInfo],
            doc = "Runtimes that must refuse `binary`: runtime -> a substring its output must contain (\"\" for any failure).",
        ),
        "image": attr.label(
            providers = [SquashfsInfo],
            default = Label("//runtimes:runtimes_squashfs"),
            doc = "The runtimes image holding every runtime named here (`runtime_squashfs`).",
        ),
        "runtimes": attr.label_list(
            providers = [RuntimeInfo],
            doc = "Runtimes in which `binary` must run and exit 0.",
        ),
        "_runner": attr.label(
            allow_single_file = True,
            default = Label("//rules/private:glibc_compat_test.sh"),
        ),
        "_tool": attr.label(
            executable = True,
            cfg = "target",
            default = Label("//tools/cli:actiond_tool"),
        ),
    },
)
