"""@host_rust: the Rust and C toolchains of bazelw's root (Debian sid packages).

Used only by bazelw's provisioned environment (bazel/provision.sh installs
`rustc`, `libstd-rust-dev:arm64` and `gcc-aarch64-linux-gnu`), where rules_rust
cannot download its toolchains and rustup cannot add targets. It is a dev
dependency of rules_actiond: downstream users get rules_rust's own toolchains.

One rustc, Debian's, builds for both x86_64 and aarch64: the std of each
target must come from the same rustc release, and so must every proc macro
(built for the exec platform) that an aarch64 crate loads. Mixing it with
another rustc in one build fails with "compiled by an incompatible version
of rustc".

(The host's rustup Rust is not used: rustup cannot add the aarch64 std here.)

@host_rust provides, all run on x86_64 Linux with the machine's own glibc
(never on an execution platform of a glibc runtime, which has no compiler):
- `:rust_toolchain` (x86_64 targets), `:rust_toolchain_aarch64`: rules_rust
  toolchains;
- `:cc_toolchain_aarch64`: a C toolchain for aarch64 Linux (the cross gcc),
  which links the aarch64 Rust binaries and compiles `-sys` crates' C code.
"""

# buildifier: disable=bzl-visibility
load("//rules/private:gcc_probe.bzl", "gcc_include_dirs", "gcc_tool_paths")

_TRIPLES = {
    "aarch64": "aarch64-unknown-linux-gnu",
    "x86_64": "x86_64-unknown-linux-gnu",
}

_RUST_BUILD = """\
load("@bazel_tools//tools/cpp:unix_cc_toolchain_config.bzl", "cc_toolchain_config")
load("@rules_rust//rust:toolchain.bzl", "rust_stdlib_filegroup", "rust_toolchain")

package(default_visibility = ["//visibility:public"])

filegroup(name = "rustc", srcs = ["bin/rustc"])

filegroup(name = "cargo", srcs = ["bin/cargo"])

filegroup(name = "rustdoc", srcs = ["bin/rustdoc"])

# librustc_driver and LLVM are found by rustc's own DT_NEEDED entries in the
# root's /usr/lib; nothing more is staged.
filegroup(name = "rustc_lib", srcs = [])
"""

_RUST_TARGET = """
rust_stdlib_filegroup(
    name = "rust_std_{arch}",
    srcs = glob(
        [
            "rustlib/{triple}/lib/*.rlib",
            "rustlib/{triple}/lib/*.rmeta",
            "rustlib/{triple}/lib/*.so*",
            "rustlib/{triple}/lib/*.a",
        ],
        allow_empty = True,
    ),
)

rust_toolchain(
    name = "rust_toolchain_{arch}_impl",
    binary_ext = "",
    cargo = ":cargo",
    default_edition = "2021",
    dylib_ext = ".so",
    exec_triple = "x86_64-unknown-linux-gnu",
    rust_doc = ":rustdoc",
    rust_std = ":rust_std_{arch}",
    rustc = ":rustc",
    rustc_lib = ":rustc_lib",
    staticlib_ext = ".a",
    stdlib_linkflags = ["-lpthread", "-ldl"],
    target_triple = "{triple}",
)

toolchain(
    name = "rust_toolchain{suffix}",
    exec_compatible_with = [
        "@platforms//cpu:x86_64",
        "@platforms//os:linux",
        "{machine_glibc}",
    ],
    target_compatible_with = [
        "@platforms//cpu:{arch}",
        "@platforms//os:linux",
    ],
    toolchain = ":rust_toolchain_{arch}_impl",
    toolchain_type = "@rules_rust//rust:toolchain_type",
)
"""

_CC_AARCH64 = """
filegroup(name = "empty", srcs = [])

cc_toolchain_config(
    name = "cc_aarch64_config",
    abi_libc_version = "local",
    abi_version = "local",
    compile_flags = [
        "-fstack-protector",
        "-Wall",
        "-fno-omit-frame-pointer",
    ],
    compiler = "gcc",
    cpu = "aarch64",
    cxx_builtin_include_directories = {include_dirs},
    dbg_compile_flags = ["-g"],
    host_system_name = "x86_64-linux-gnu",
    link_flags = [
        "-Wl,-no-as-needed",
        "-Wl,-z,relro,-z,now",
    ],
    # C only: the root has no aarch64 libstdc++.
    link_libs = [
        "-Wl,--push-state,-as-needed",
        "-lm",
        "-Wl,--pop-state",
    ],
    opt_compile_flags = [
        "-g0",
        "-O2",
        "-DNDEBUG",
        "-ffunction-sections",
        "-fdata-sections",
    ],
    opt_link_flags = ["-Wl,--gc-sections"],
    target_libc = "glibc",
    target_system_name = "aarch64-linux-gnu",
    tool_paths = {tool_paths},
    toolchain_identifier = "debian_gcc_aarch64",
    unfiltered_compile_flags = [
        "-fno-canonical-system-headers",
        "-Wno-builtin-macro-redefined",
        "-D__DATE__=\\"redacted\\"",
        "-D__TIMESTAMP__=\\"redacted\\"",
        "-D__TIME__=\\"redacted\\"",
    ],
)

cc_toolchain(
    name = "cc_aarch64",
    all_files = ":empty",
    ar_files = ":empty",
    as_files = ":empty",
    compiler_files = ":empty",
    dwp_files = ":empty",
    linker_files = ":empty",
    objcopy_files = ":empty",
    strip_files = ":empty",
    supports_param_files = 1,
    toolchain_config = ":cc_aarch64_config",
)

toolchain(
    name = "cc_toolchain_aarch64",
    exec_compatible_with = [
        "@platforms//cpu:x86_64",
        "@platforms//os:linux",
        "{machine_glibc}",
    ],
    # Not for a platform of a glibc sysroot: that platform's toolchain links.
    target_compatible_with = [
        "@platforms//cpu:aarch64",
        "@platforms//os:linux",
        "{machine_glibc}",
    ],
    toolchain = ":cc_aarch64",
    toolchain_type = "@bazel_tools//tools/cpp:toolchain_type",
)
"""

def _check(rctx, path, package):
    if not rctx.path(path).exists:
        fail("host_rust: {} is missing; bazelw's root installs it (apt package {}): rerun ./bazelw".format(path, package))

def _host_rust_repository_impl(rctx):
    _check(rctx, "/usr/bin/rustc", "rustc")
    rctx.symlink("/usr/bin/rustc", "bin/rustc")
    _check(rctx, "/usr/bin/rustdoc", "rustc")
    rctx.symlink("/usr/bin/rustdoc", "bin/rustdoc")
    _check(rctx, "/usr/bin/cargo", "cargo")
    rctx.symlink("/usr/bin/cargo", "bin/cargo")
    build = _RUST_BUILD
    for arch, triple in sorted(_TRIPLES.items()):
        lib = "/usr/lib/rustlib/{}/lib".format(triple)
        _check(rctx, lib, "libstd-rust-dev:" + ("arm64" if arch == "aarch64" else "amd64"))
        rctx.symlink(lib, "rustlib/{}/lib".format(triple))
        build += _RUST_TARGET.replace("{arch}", arch).replace("{triple}", triple).replace(
            "{suffix}",
            "" if arch == "x86_64" else "_" + arch,
        ).replace("{machine_glibc}", str(Label("//platforms/glibc:machine")))

    tool_paths = gcc_tool_paths("/usr/bin/aarch64-linux-gnu-")
    for name, path in tool_paths.items():
        if name != "dwp":
            _check(rctx, path, "gcc-aarch64-linux-gnu")
    tool_paths["llvm-cov"] = "None"
    tool_paths["llvm-profdata"] = "None"
    build += _CC_AARCH64.format(
        machine_glibc = str(Label("//platforms/glibc:machine")),
        include_dirs = repr(gcc_include_dirs(rctx, tool_paths["gcc"], "host_rust")),
        tool_paths = repr(tool_paths),
    )
    rctx.file("BUILD.bazel", build)

host_rust_repository = repository_rule(
    implementation = _host_rust_repository_impl,
    local = True,
    doc = "Wraps Debian's rustc (x86_64 and aarch64 std) and aarch64 cross gcc as toolchains.",
)

def _host_rust_impl(_module_ctx):
    host_rust_repository(name = "host_rust")

host_rust = module_extension(
    implementation = _host_rust_impl,
    doc = "Creates @host_rust, the toolchains of bazelw's Debian root.",
)
