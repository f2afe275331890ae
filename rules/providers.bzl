"""Providers of rules_actiond."""

RuntimeInfo = provider(
    doc = """A glibc runtime: the .debs it is made of and how an executor mounts it.

The .debs are the source of truth: image packers read them directly. The
extracted tree of the runtime's repository is for inspection and for tests.

Example: a rule that lists the runtimes it is given.

```starlark
load("@rules_actiond//rules:providers.bzl", "RuntimeInfo")

def _runtime_names_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.write(out, "".join([
        "{} {} {}\\n".format(r[RuntimeInfo].name, r[RuntimeInfo].arch, r[RuntimeInfo].manifest.path)
        for r in ctx.attr.runtimes
    ]))
    return [DefaultInfo(files = depset([out]))]

runtime_names = rule(
    implementation = _runtime_names_impl,
    attrs = {"runtimes": attr.label_list(providers = [RuntimeInfo])},
)
```""",
    fields = {
        "name": "str: the runtime's name, `glibc<major>.<minor>`, e.g. `glibc2.35`.",
        "arch": "str: `x86_64` or `aarch64`.",
        "glibc_version": "str: the glibc version the name declares, e.g. `2.35`.",
        "debs": "list of File: the .deb files, in the order they are unpacked.",
        "manifest": "File: runtime_manifest.json in actiond's schema, derived from the .debs by a build action.",
        "packages": "File: runtime_packages.json, the provenance of each .deb (package, version, filename, sha256, source).",
        "strip": "list of str: path patterns removed from the tree (see `rules/extensions.bzl`).",
        "additions": "File: tree_additions.json, what is added to the .debs' tree: `symlinks` (path -> target, such as usrmerge's `lib -> usr/lib`) and `empty_files` (mount points for the image's common files).",
    },
)

GlibcSysrootInfo = provider(
    doc = """A sysroot to link against an old glibc, made by `glibc_sysroot` from pinned .debs.""",
    fields = {
        "name": "str: the glibc, e.g. `glibc2.31`.",
        "arch": "str: `x86_64` or `aarch64`.",
        "glibc_version": "str: e.g. `2.31`.",
        "root": "File: the sysroot directory (a tree artifact), for gcc's `--sysroot`.",
    },
)

SquashfsInfo = provider(
    doc = """A SquashFS image made by `squashfs_image` or `runtime_squashfs`.

Example: the image and its spec, from a rule's attribute.

```starlark
load("@rules_actiond//rules:providers.bzl", "SquashfsInfo")

def _impl(ctx):
    info = ctx.attr.image[SquashfsInfo]
    runtimes = ["{}/{}".format(r.name, r.arch) for r in info.runtimes]
    ...  # info.image: the .squashfs File; info.spec: what it was packed from
```""",
    fields = {
        "image": "File: the image.",
        "spec": "File: the squashfs_pack spec it was made from (paths relative to the execroot).",
        "runtimes": "list of RuntimeInfo: the runtimes packed into it (empty for a generic image).",
    },
)

VmBundleInfo = provider(
    doc = """A VM payload: kernel, initramfs and runtimes image, with a manifest of their sha256s.

Example: a test rule that boots the bundle it is given.

```starlark
load("@rules_actiond//rules:providers.bzl", "VmBundleInfo")

def _impl(ctx):
    bundle = ctx.attr.bundle[VmBundleInfo]
    files = [bundle.kernel, bundle.initramfs, bundle.runtimes, bundle.manifest]
    ...  # e.g. qemu -kernel bundle.kernel -initrd bundle.initramfs
```""",
    fields = {
        "kernel": "File: the zstd-compressed kernel.",
        "initramfs": "File: the initramfs (cpio newc, zstd).",
        "runtimes": "File: the runtimes SquashFS image.",
        "manifest": "File: JSON of each file's name, sha256 and size.",
    },
)
