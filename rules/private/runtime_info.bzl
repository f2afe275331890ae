"""The rule that turns a runtime repository's files into a RuntimeInfo target."""

load("//rules:providers.bzl", "RuntimeInfo")
load(":actiond_tool_toolchain.bzl", "ACTIOND_TOOL_TOOLCHAIN_TYPE", "actiond_tool")
load(":sqfs.bzl", "runtime_entries")

def runtime_validation_action(ctx, runtime):
    """Registers the validation action of a runtime: it checks the runtime as an image would hold it, from its .debs.

    `actiond-tool check runtime` checks that the manifest's mounts exist,
    that its interpreters are ELFs of its arch, and that libc.so.6 is the
    glibc its name declares.

    Args:
      ctx: the rule context (of a rule with the actiond-tool toolchain).
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
        executable = actiond_tool(ctx),
        arguments = [args],
        inputs = [spec] + inputs,
        outputs = [stamp],
        mnemonic = "RuntimeValidation",
        progress_message = "Validating runtime {} {}".format(runtime.name, runtime.arch),
    )
    return stamp

def _glibc_runtime_impl(ctx):
    root_files = depset(ctx.files.root_files)
    runtime = RuntimeInfo(
        name = ctx.attr.runtime_name,
        arch = ctx.attr.arch,
        glibc_version = ctx.attr.glibc_version,
        debs = ctx.files.debs,
        manifest = ctx.file.manifest,
        strip = ctx.attr.strip,
        symlinks = ctx.attr.symlinks,
        root = ctx.file.root,
        root_files = root_files,
    )
    return [
        runtime,
        OutputGroupInfo(_validation = depset([runtime_validation_action(ctx, runtime)])),
        DefaultInfo(
            files = depset([ctx.file.manifest] + ctx.files.debs),
            runfiles = ctx.runfiles(
                files = [ctx.file.manifest, ctx.file.root] + ctx.files.debs,
                transitive_files = root_files,
            ),
        ),
    ]

glibc_runtime = rule(
    implementation = _glibc_runtime_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = """A glibc runtime made by `glibc_deb_runtime`; it provides `RuntimeInfo`.

Its validation action (`--norun_validations` skips it) checks the runtime
from its .debs: every manifest mount exists, every interpreter is an ELF of
`arch`, and libc.so.6 is glibc `glibc_version`.""",
    attrs = {
        "arch": attr.string(mandatory = True, values = ["x86_64", "aarch64"]),
        "debs": attr.label_list(allow_files = [".deb"], mandatory = True),
        "glibc_version": attr.string(mandatory = True),
        "manifest": attr.label(allow_single_file = [".json"], mandatory = True),
        "root": attr.label(allow_single_file = True, mandatory = True),
        "root_files": attr.label_list(allow_files = True),
        "runtime_name": attr.string(mandatory = True),
        "strip": attr.string_list(),
        "symlinks": attr.string_dict(),
    },
    provides = [RuntimeInfo],
)
