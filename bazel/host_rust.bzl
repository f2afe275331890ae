"""A Rust toolchain backed by the host's installed Rust (rustup or a distro).

Used only by bazelw's provisioned environment, where rules_rust cannot download
its toolchains. It is a dev dependency of rules_actiond: downstream users get
rules_rust's normal toolchains.

The sysroot comes from $RULES_ACTIOND_RUST_SYSROOT (bazelw sets it from
`rustc --print sysroot` on the host).
"""

_TRIPLE = "x86_64-unknown-linux-gnu"

_BUILD = """\
load("@rules_rust//rust:toolchain.bzl", "rust_stdlib_filegroup", "rust_toolchain")

package(default_visibility = ["//visibility:public"])

filegroup(name = "rustc", srcs = ["sysroot/bin/rustc"])

filegroup(name = "rustdoc", srcs = ["sysroot/bin/rustdoc"])

filegroup(name = "cargo", srcs = ["sysroot/bin/cargo"])

filegroup(name = "clippy_driver", srcs = ["sysroot/bin/clippy-driver"])

filegroup(name = "rustfmt", srcs = ["sysroot/bin/rustfmt"])

filegroup(
    name = "rustc_lib",
    srcs = glob(
        [
            "sysroot/lib/*.so*",
            "sysroot/lib/rustlib/{triple}/bin/rust-lld",
            "sysroot/lib/rustlib/{triple}/codegen-backends/*.so",
            "sysroot/lib/rustlib/{triple}/lib/*.so*",
        ],
        allow_empty = True,
    ),
)

rust_stdlib_filegroup(
    name = "rust_std",
    srcs = glob(
        [
            "sysroot/lib/rustlib/{triple}/lib/*.rlib",
            "sysroot/lib/rustlib/{triple}/lib/*.rmeta",
            "sysroot/lib/rustlib/{triple}/lib/*.so*",
            "sysroot/lib/rustlib/{triple}/lib/*.a",
            "sysroot/lib/rustlib/{triple}/lib/self-contained/**",
        ],
        allow_empty = True,
    ),
)

rust_toolchain(
    name = "rust_toolchain_impl",
    binary_ext = "",
    cargo = ":cargo",
    clippy_driver = ":clippy_driver",
    default_edition = "2021",
    dylib_ext = ".so",
    exec_triple = "{triple}",
    rust_doc = ":rustdoc",
    rust_std = ":rust_std",
    rustc = ":rustc",
    rustc_lib = ":rustc_lib",
    rustfmt = ":rustfmt",
    staticlib_ext = ".a",
    stdlib_linkflags = ["-lpthread", "-ldl"],
    target_triple = "{triple}",
)

toolchain(
    name = "rust_toolchain",
    exec_compatible_with = [
        "@platforms//cpu:x86_64",
        "@platforms//os:linux",
    ],
    target_compatible_with = [
        "@platforms//cpu:x86_64",
        "@platforms//os:linux",
    ],
    toolchain = ":rust_toolchain_impl",
    toolchain_type = "@rules_rust//rust:toolchain_type",
)
"""

def _host_rust_repository_impl(rctx):
    sysroot = rctx.os.environ.get("RULES_ACTIOND_RUST_SYSROOT", "")
    if not sysroot:
        rustc = rctx.which("rustc")
        if not rustc:
            fail("host_rust: set RULES_ACTIOND_RUST_SYSROOT or put rustc on PATH")
        result = rctx.execute([rustc, "--print", "sysroot"])
        if result.return_code != 0:
            fail("host_rust: `rustc --print sysroot` failed: " + result.stderr)
        sysroot = result.stdout.strip()
    if not rctx.path(sysroot + "/bin/rustc").exists:
        fail("host_rust: {} has no bin/rustc (from RULES_ACTIOND_RUST_SYSROOT)".format(sysroot))
    rctx.symlink(sysroot, "sysroot")
    rctx.file("BUILD.bazel", _BUILD.replace("{triple}", _TRIPLE))

host_rust_repository = repository_rule(
    implementation = _host_rust_repository_impl,
    environ = ["RULES_ACTIOND_RUST_SYSROOT"],
    local = True,
    doc = "Wraps the host's Rust sysroot as a rules_rust toolchain for x86_64 Linux.",
)

def _host_rust_impl(_module_ctx):
    host_rust_repository(name = "host_rust")

host_rust = module_extension(
    implementation = _host_rust_impl,
    doc = "Creates @host_rust, the host's Rust toolchain.",
)
