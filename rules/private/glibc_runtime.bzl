"""`glibc_runtime`: a runtime derived from its .debs in a build action, as a RuntimeInfo target."""

load("//rules:providers.bzl", "RuntimeInfo")
load(":actiond_tool_toolchain.bzl", "ACTIOND_TOOL_TOOLCHAIN_TYPE", "actiond_tool")
load(":squashfs.bzl", "runtime_entries")

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
    sources = ctx.attr.deb_sources or [str(t.label) for t in ctx.attr.debs for _ in t.files.to_list()]
    if len(sources) != len(ctx.files.debs):
        fail("{}: deb_sources has {} entries for {} .debs: give one per .deb, in order".format(ctx.label, len(sources), len(ctx.files.debs)))
    prefix = ctx.label.name + "/"
    manifest = ctx.actions.declare_file(prefix + "runtime_manifest.json")
    packages = ctx.actions.declare_file(prefix + "runtime_packages.json")
    additions = ctx.actions.declare_file(prefix + "tree_additions.json")
    derivation = ["--name", ctx.attr.runtime_name, "--arch", ctx.attr.arch] + ["--strip=" + p for p in ctx.attr.strip] + ["--source=" + s for s in sources]
    args = ctx.actions.args()
    args.add_all(["runtime", "derive"] + derivation)
    args.add("--manifest", manifest)
    args.add("--packages", packages)
    args.add("--additions", additions)
    args.add_all(ctx.files.debs)
    ctx.actions.run(
        executable = actiond_tool(ctx),
        arguments = [args],
        inputs = ctx.files.debs,
        outputs = [manifest, packages, additions],
        mnemonic = "RuntimeDerive",
        progress_message = "Deriving runtime {} {} from its .debs".format(ctx.attr.runtime_name, ctx.attr.arch),
    )

    # The same derivation's arguments, for tests that unpack the runtime's
    # tree themselves (`actiond-tool runtime derive $(cat ...) --root DIR`).
    derive_args = ctx.actions.declare_file(prefix + "derive_args.txt")
    ctx.actions.write(derive_args, "\n".join(derivation + [f.short_path for f in ctx.files.debs]) + "\n")
    runtime = RuntimeInfo(
        name = ctx.attr.runtime_name,
        arch = ctx.attr.arch,
        glibc_version = ctx.attr.glibc_version,
        debs = ctx.files.debs,
        manifest = manifest,
        packages = packages,
        strip = ctx.attr.strip,
        additions = additions,
    )
    outputs = [manifest, packages, additions]
    return [
        runtime,
        OutputGroupInfo(
            manifest = depset([manifest]),
            _validation = depset([runtime_validation_action(ctx, actiond_tool(ctx), runtime)]),
        ),
        DefaultInfo(
            files = depset(outputs + ctx.files.debs),
            runfiles = ctx.runfiles(files = outputs + [derive_args] + ctx.files.debs),
        ),
    ]

glibc_runtime = rule(
    implementation = _glibc_runtime_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = """A glibc runtime made by `glibc_deb_runtime`; it provides `RuntimeInfo`.

A build action reads the .debs in order through actiond-tool (which refuses
entries that would land outside the tree), removes `strip`, and derives
`runtime_manifest.json` in actiond's schema (also the `manifest` output
group), `runtime_packages.json` (each .deb's package, version, file name,
sha256 and source) and `tree_additions.json` (the symlinks a usrmerged
runtime needs, and empty mount points for the image's common files). Its runfiles add `derive_args.txt`, the same
derivation's arguments, for tests that unpack the tree themselves. Its
validation action (`--norun_validations` skips it) checks the runtime
from its .debs: every manifest mount exists, every interpreter is an ELF of
`arch`, and libc.so.6 is glibc `glibc_version`.""",
    attrs = {
        "arch": attr.string(mandatory = True, values = ["x86_64", "aarch64"]),
        "deb_sources": attr.string_list(doc = "Where each .deb came from, in order, for the manifest's `debs`: a URL, a label or `apt:<package>:<arch>=<version>`. Defaults to each file's label."),
        "debs": attr.label_list(allow_files = [".deb"], mandatory = True),
        "glibc_version": attr.string(mandatory = True),
        "runtime_name": attr.string(mandatory = True),
        "strip": attr.string_list(),
    },
    provides = [RuntimeInfo],
)
