"""Standalone binaries: payloads embedded as ELF sections or Mach-O sections."""

load("@rules_cc//cc:defs.bzl", "cc_library")

_PAYLOADS = ["runtimes", "kernel", "initramfs"]

def _standalone_binary_impl(ctx):
    binary = ctx.executable.binary
    out = ctx.actions.declare_file(ctx.label.name)
    args = ctx.actions.args()
    args.add_all(["payload", "add", "--prefix", ctx.attr.section_prefix])
    inputs = [binary]
    for name in _PAYLOADS:
        f = getattr(ctx.file, name)
        if f:
            args.add("--section", "{}={}".format(name, f.path))
            inputs.append(f)
    args.add(binary)
    args.add(out)
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = inputs,
        outputs = [out],
        mnemonic = "StandaloneBinary",
        progress_message = "Embedding payloads into %{output}",
    )

    # Validation: every section holds exactly its payload's bytes.
    stamp = ctx.actions.declare_file(ctx.label.name + ".validation")
    check = ctx.actions.args()
    check.add_all(["check", "standalone", out, "--prefix", ctx.attr.section_prefix, "--stamp", stamp])
    for name in _PAYLOADS:
        f = getattr(ctx.file, name)
        if f:
            check.add("--payload", "{}={}".format(name, f.path))
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [check],
        inputs = inputs[1:] + [out],
        outputs = [stamp],
        mnemonic = "StandaloneValidation",
        progress_message = "Validating %{input}",
    )
    runfiles = ctx.runfiles(files = [out]).merge(ctx.attr.binary[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(executable = out, files = depset([out]), runfiles = runfiles),
        OutputGroupInfo(_validation = depset([stamp])),
    ]

standalone_binary = rule(
    implementation = _standalone_binary_impl,
    executable = True,
    doc = """An ELF executable carrying its payloads as non-allocated sections.

`binary` (any executable: a rust_binary, a cc_binary) is copied with
sections `<section_prefix>runtimes`, and `...kernel` and `...initramfs` when
given, plus `<section_prefix>sha256` recording their digests. Program headers
are untouched, so the binary runs as before; at start it can extract its
payloads with the `embedded_payload` crate (see
`//tools/crates/embedded_payload:self_extract`). For macOS, see
`standalone_macos_sections`.

Example:

```starlark
load("@rules_actiond//rules:standalone.bzl", "standalone_binary")

standalone_binary(
    name = "executor",
    binary = ":executor_bin",
    runtimes = "@rules_actiond//runtimes:runtimes_squashfs_x86_64",
    kernel = "@rules_actiond//vm:linux_kernel_zst",
    initramfs = "@rules_actiond//vm:initramfs",
)
```
""",
    attrs = {
        "binary": attr.label(executable = True, cfg = "target", mandatory = True, doc = "The executable to embed into."),
        "initramfs": attr.label(allow_single_file = True, doc = "Optional: the VM's initramfs."),
        "kernel": attr.label(allow_single_file = True, doc = "Optional: the VM's kernel."),
        "runtimes": attr.label(allow_single_file = True, mandatory = True, doc = "The runtimes image."),
        "section_prefix": attr.string(default = ".actiond.", doc = "ELF section name prefix (the seed's by default)."),
        "_tool": attr.label(default = Label("//tools/cli:actiond_tool"), executable = True, cfg = "exec"),
    },
)

def standalone_macos_sections(name, runtimes, kernel = None, initramfs = None, segment = "__ACTIOND", **kwargs):
    """A cc_library whose linkopts put payloads into Mach-O sections at link time.

    Depend on it from the macOS binary; the linker's `-sectcreate` writes
    `<segment>,__runtimes` (and `__kernel`, `__initramfs` when given), which
    `embedded_payload::find` reads through `LC_SEGMENT_64`. Sign the binary
    after linking, as usual on macOS.

    Example:

    ```starlark
    load("@rules_actiond//rules:standalone.bzl", "standalone_macos_sections")

    standalone_macos_sections(
        name = "payload_sections",
        runtimes = "@rules_actiond//runtimes:runtimes_squashfs_aarch64",
    )
    ```

    Args:
      name: the cc_library's name.
      runtimes: the runtimes image.
      kernel: optional kernel.
      initramfs: optional initramfs.
      segment: the Mach-O segment (the seed's `__ACTIOND` by default).
      **kwargs: passed on to cc_library (tags, visibility, target_compatible_with).
    """
    payloads = {"runtimes": runtimes, "kernel": kernel, "initramfs": initramfs}
    linkopts = []
    inputs = []
    for section in _PAYLOADS:
        label = payloads[section]
        if label:
            linkopts.append("-Wl,-sectcreate,{},__{},$(location {})".format(segment, section, label))
            inputs.append(label)
    cc_library(
        name = name,
        linkopts = linkopts,
        additional_linker_inputs = inputs,
        **kwargs
    )
