"""VM payloads: `initramfs` (with the guest built for the VM's arch) and `vm_bundle`."""

load("//rules:providers.bzl", "SquashfsInfo", "VmBundleInfo")
load(":actiond_tool_toolchain.bzl", "ACTIOND_TOOL_TOOLCHAIN_TYPE", "actiond_tool")

def _vm_platform_impl(_settings, attr):
    return {"//command_line_option:platforms": str(attr.platform)}

# Builds the guest and the files of the initramfs for the VM's platform.
vm_platform_transition = transition(
    implementation = _vm_platform_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

TargetArchInfo = provider(
    doc = "The target CPU, as the rules name it: `x86_64` or `aarch64`.",
    fields = {"arch": "str"},
)

def _target_arch_impl(ctx):
    return [TargetArchInfo(arch = ctx.attr.arch)]

target_arch = rule(
    implementation = _target_arch_impl,
    doc = "The target CPU of the configuration it is built in (`arch` is a select on it).",
    attrs = {"arch": attr.string(mandatory = True)},
)

def _initramfs_impl(ctx):
    init = ctx.file.init
    entries = [{"type": "file", "path": ctx.attr.init_path, "source": init.path, "mode": 493}]
    inputs = [init]
    for path in ctx.attr.dirs:
        entries.append({"type": "dir", "path": path, "mode": 493})
    for target, path in ctx.attr.files.items():
        files = target.files.to_list()
        if len(files) != 1:
            fail("{}: files {} must be exactly one file".format(ctx.label, target.label))
        entries.append({"type": "file", "path": path, "source": files[0].path, "mode": 493 if path in ctx.attr.executables else 420})
        inputs.append(files[0])
    for path, target in sorted(ctx.attr.symlinks.items()):
        entries.append({"type": "symlink", "path": path, "target": target})
    spec = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec, json.encode_indent({"entries": entries, "init": ctx.attr.init_path, "level": ctx.attr.level}, indent = "  ") + "\n")
    out = ctx.actions.declare_file(ctx.label.name + ".cpio.zst")
    args = ctx.actions.args()
    args.add("initramfs")
    args.add("--spec", spec)
    args.add("--out", out)
    ctx.actions.run(
        executable = actiond_tool(ctx),
        arguments = [args],
        inputs = inputs + [spec],
        outputs = [out],
        mnemonic = "Initramfs",
        progress_message = "Writing initramfs %{output}",
    )

    # Validation: the archive parses, is root's, and init runs on the VM.
    arch = ctx.attr._arch[0][TargetArchInfo].arch
    stamp = ctx.actions.declare_file(ctx.label.name + ".validation")
    check = ctx.actions.args()
    check.add_all(["check", "initramfs", out, "--arch", arch, "--init", ctx.attr.init_path, "--stamp", stamp])
    ctx.actions.run(
        executable = actiond_tool(ctx),
        arguments = [check],
        inputs = [out],
        outputs = [stamp],
        mnemonic = "InitramfsValidation",
        progress_message = "Validating %{input}",
    )
    return [
        DefaultInfo(files = depset([out])),
        OutputGroupInfo(_validation = depset([stamp])),
    ]

initramfs = rule(
    implementation = _initramfs_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = """An initramfs: a cpio "newc" archive compressed with zstd, deterministic
(sorted entries, sequential inode numbers, mtime/uid/gid 0).

Its validation action (`--norun_validations` skips it) reads the written
archive back: it parses, every entry is root's, and `init` is a static
executable ELF of the platform's CPU.

`init` is built for `platform` through a transition and must be linked
statically (checked: a dynamic one fails the build). `files` are built for the
same platform.

Example:

```starlark
load("@rules_actiond//rules:vm.bzl", "initramfs")

initramfs(
    name = "initramfs",
    init = ":my_static_guest",
    platform = "@rules_actiond//platforms:linux_x86_64",
    files = {":helper": "opt/helper"},
    executables = ["opt/helper"],
)
```
""",
    attrs = {
        "dirs": attr.string_list(default = ["dev", "mnt", "proc", "run", "sys"], doc = "Empty directories."),
        "executables": attr.string_list(doc = "Paths among `files` that get mode 0755 (others 0644)."),
        "files": attr.label_keyed_string_dict(allow_files = True, cfg = vm_platform_transition, doc = "File -> path in the archive."),
        "init": attr.label(allow_single_file = True, mandatory = True, cfg = vm_platform_transition, doc = "The static guest binary."),
        "init_path": attr.string(default = "init", doc = "Where `init` goes (the kernel runs /init)."),
        "level": attr.int(default = 19, doc = "zstd level."),
        "platform": attr.label(default = Label("//platforms:linux_x86_64"), doc = "The VM's platform."),
        "symlinks": attr.string_dict(doc = "Path -> target."),
        "_arch": attr.label(default = Label("//rules/private:target_arch"), cfg = vm_platform_transition),
    },
)

def _vm_bundle_impl(ctx):
    manifest = ctx.actions.declare_file(ctx.label.name + ".json")
    runtimes = ctx.attr.runtimes[SquashfsInfo].image
    files = {"kernel": ctx.file.kernel, "initramfs": ctx.file.initramfs, "runtimes": runtimes}
    args = ctx.actions.args()
    args.add("bundle-manifest")
    args.add("--out", manifest)
    for name, f in sorted(files.items()):
        args.add("{}={}".format(name, f.path))
    ctx.actions.run(
        executable = actiond_tool(ctx),
        arguments = [args],
        inputs = files.values(),
        outputs = [manifest],
        mnemonic = "VmBundleManifest",
        progress_message = "Writing VM bundle manifest %{output}",
    )

    # Validation: the manifest's names, sizes and sha256s are the files'.
    stamp = ctx.actions.declare_file(ctx.label.name + ".validation")
    check = ctx.actions.args()
    check.add_all(["check", "bundle", manifest, "--stamp", stamp])
    for name, f in sorted(files.items()):
        check.add("--file", "{}={}".format(name, f.path))
    ctx.actions.run(
        executable = actiond_tool(ctx),
        arguments = [check],
        inputs = [manifest] + files.values(),
        outputs = [stamp],
        mnemonic = "VmBundleValidation",
        progress_message = "Validating %{input}",
    )
    return [
        DefaultInfo(files = depset([manifest] + files.values())),
        VmBundleInfo(kernel = ctx.file.kernel, initramfs = ctx.file.initramfs, runtimes = runtimes, manifest = manifest),
        OutputGroupInfo(manifest = depset([manifest]), _validation = depset([stamp])),
    ]

vm_bundle = rule(
    implementation = _vm_bundle_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = """A VM payload: the zstd kernel, the initramfs and the runtimes image, with
`<name>.json` giving each one's file name, sha256 and size (also the
`manifest` output group). Its validation action checks the manifest against
the files.

Example:

```starlark
load("@rules_actiond//rules:vm.bzl", "vm_bundle")

vm_bundle(
    name = "vm_bundle",
    kernel = ":linux_kernel_zst",
    initramfs = ":initramfs",
    runtimes = "@rules_actiond//runtimes:runtimes_squashfs_x86_64",
)
```
""",
    attrs = {
        "initramfs": attr.label(allow_single_file = True, mandatory = True),
        "kernel": attr.label(allow_single_file = True, mandatory = True),
        "runtimes": attr.label(providers = [SquashfsInfo], mandatory = True),
    },
    provides = [VmBundleInfo],
)
