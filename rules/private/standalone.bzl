"""Standalone binaries: payloads embedded as ELF sections or Mach-O sections."""

load("@rules_cc//cc:defs.bzl", "cc_library")
load(":actiond_tool_toolchain.bzl", "ACTIOND_TOOL_TOOLCHAIN_TYPE", "actiond_tool")

_PAYLOADS = ["runtimes", "kernel", "initramfs"]

def standalone_validation_action(ctx, tool, binary, payloads, prefix):
    """Registers the validation action of a standalone binary.

    `actiond-tool check standalone` checks that `binary` parses and that each
    section `<prefix><name>` holds exactly the bytes of `payloads[name]`, as
    the digests section records.

    Args:
      ctx: the rule context.
      tool: actiond-tool (a FilesToRunProvider), e.g. `actiond_tool(ctx)`.
      binary: the standalone binary File.
      payloads: dict of payload name to File.
      prefix: the section name prefix.

    Returns:
      The stamp File, for the `_validation` output group.
    """
    stamp = ctx.actions.declare_file(ctx.label.name + ".validation")
    check = ctx.actions.args()
    check.add_all(["check", "standalone", binary, "--prefix", prefix, "--stamp", stamp])
    for name, f in sorted(payloads.items()):
        check.add("--payload", "{}={}".format(name, f.path))
    ctx.actions.run(
        executable = tool,
        arguments = [check],
        inputs = [binary] + payloads.values(),
        outputs = [stamp],
        mnemonic = "StandaloneValidation",
        progress_message = "Validating %{input}",
    )
    return stamp

def _standalone_binary_impl(ctx):
    binary = ctx.executable.binary
    payloads = {name: getattr(ctx.file, name) for name in _PAYLOADS if getattr(ctx.file, name)}
    out = ctx.actions.declare_file(ctx.label.name)
    args = ctx.actions.args()
    args.add_all(["payload", "add", "--prefix", ctx.attr.section_prefix])
    for name, f in payloads.items():
        args.add("--section", "{}={}".format(name, f.path))
    args.add(binary)
    args.add(out)
    ctx.actions.run(
        executable = actiond_tool(ctx),
        arguments = [args],
        inputs = [binary] + payloads.values(),
        outputs = [out],
        mnemonic = "StandaloneBinary",
        progress_message = "Embedding payloads into %{output}",
    )

    stamp = standalone_validation_action(ctx, actiond_tool(ctx), out, payloads, ctx.attr.section_prefix)
    runfiles = ctx.runfiles(files = [out]).merge(ctx.attr.binary[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(executable = out, files = depset([out]), runfiles = runfiles),
        OutputGroupInfo(_validation = depset([stamp])),
    ]

standalone_binary = rule(
    implementation = _standalone_binary_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
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
        "section_prefix": attr.string(default = ".actiond.", doc = "ELF section name prefix; actiond reads `.actiond.<name>`."),
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
      segment: the Mach-O segment; actiond reads `__ACTIOND`.
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
