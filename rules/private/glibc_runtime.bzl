"""`glibc_runtime`: a runtime derived from its .debs in a build action, as a RuntimeInfo target."""

load("//rules:providers.bzl", "RuntimeInfo")
load(":actiond_tool_toolchain.bzl", "ACTIOND_TOOL_TOOLCHAIN_TYPE", "actiond_tool")
load(":sqfs.bzl", "runtime_entries")

def runtime_validation_action(ctx, tool, runtime):
    """Registers the validation action of a runtime: it checks the runtime as an image would hold it, from its .debs.

    `actiond-tool check runtime` checks that the manifest's mounts exist,
    that its interpreters are ELFs of its arch, and that libc.so.6 is the
    glibc its name declares.

    Args:
      ctx: the rule context.
      tool: actiond-tool (a FilesToRunProvider), e.g. `actiond_tool(ctx)`.
      runtime: the RuntimeInfo to check.

    Returns:
      The stamp File, for the `_validation` output group.
    """
    entries, inputs = runtime_entries(runtime, "libc/{}/{}".format(runtime.name, runtime.arch))
    spec = ctx.actions.declare_file(ctx.label.name + ".check.json")
    ctx.actions.write(spec, json.encode_indent({"entries": entries}, indent = "  ") + "\n")
    stamp = ctx.actions.declare_file(ctx.label.name + ".validation")
    args = ctx.actions.args()
    args.add_all(["check", "runtime", "--spec", spec, "--stamp", stamp])
    ctx.actions.run(
        executable = tool,
        arguments = [args],
        inputs = [spec] + inputs,
        outputs = [stamp],
        mnemonic = "RuntimeValidation",
        progress_message = "Validating runtime {} {}".format(runtime.name, runtime.arch),
    )
    return stamp

def _glibc_runtime_impl(ctx):
    prefix = ctx.label.name + "/"
    manifest = ctx.actions.declare_file(prefix + "runtime_manifest.json")
    symlinks = ctx.actions.declare_file(prefix + "symlinks.json")
    args = ctx.actions.args()
    args.add_all(["runtime", "derive", "--name", ctx.attr.runtime_name, "--arch", ctx.attr.arch])
    args.add_all(ctx.attr.strip, before_each = "--strip")
    args.add("--manifest", manifest)
    args.add("--symlinks", symlinks)
    args.add_all(ctx.files.debs)
    ctx.actions.run(
        executable = actiond_tool(ctx),
        arguments = [args],
        inputs = ctx.files.debs,
        outputs = [manifest, symlinks],
        mnemonic = "RuntimeDerive",
        progress_message = "Deriving runtime {} {} from its .debs".format(ctx.attr.runtime_name, ctx.attr.arch),
    )

    # The same derivation's arguments, for tests that unpack the runtime's
    # tree themselves (`actiond-tool runtime derive $(cat ...) --root DIR`).
    derive_args = ctx.actions.declare_file(prefix + "derive_args.txt")
    ctx.actions.write(derive_args, "\n".join(
        ["--name", ctx.attr.runtime_name, "--arch", ctx.attr.arch] +
        ["--strip=" + p for p in ctx.attr.strip] +
        [f.short_path for f in ctx.files.debs],
    ) + "\n")
    runtime = RuntimeInfo(
        name = ctx.attr.runtime_name,
        arch = ctx.attr.arch,
        glibc_version = ctx.attr.glibc_version,
        debs = ctx.files.debs,
        manifest = manifest,
        strip = ctx.attr.strip,
        symlinks = symlinks,
    )
    return [
        runtime,
        OutputGroupInfo(
            manifest = depset([manifest]),
            _validation = depset([runtime_validation_action(ctx, actiond_tool(ctx), runtime)]),
        ),
        DefaultInfo(
            files = depset([manifest, symlinks] + ctx.files.debs),
            runfiles = ctx.runfiles(files = [manifest, symlinks, derive_args] + ctx.files.debs),
        ),
    ]

glibc_runtime = rule(
    implementation = _glibc_runtime_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = """A glibc runtime made by `glibc_deb_runtime`; it provides `RuntimeInfo`.

A build action reads the .debs in order through actiond-tool (which refuses
entries that would land outside the tree), removes `strip`, and derives
`runtime_manifest.json` (also the `manifest` output group) and the symlinks
a usrmerged runtime needs. Its runfiles add `derive_args.txt`, the same
derivation's arguments, for tests that unpack the tree themselves. Its
validation action (`--norun_validations` skips it) checks the runtime
from its .debs: every manifest mount exists, every interpreter is an ELF of
`arch`, and libc.so.6 is glibc `glibc_version`.""",
    attrs = {
        "arch": attr.string(mandatory = True, values = ["x86_64", "aarch64"]),
        "debs": attr.label_list(allow_files = [".deb"], mandatory = True),
        "glibc_version": attr.string(mandatory = True),
        "runtime_name": attr.string(mandatory = True),
        "strip": attr.string_list(),
    },
    provides = [RuntimeInfo],
)
