"""Development only: Debian's arm64 kernel, fetched through apt, for the aarch64 VM.

Ubuntu ports is unreachable from our machines, so the aarch64 VM boots
Debian's `linux-image-arm64` instead: `apt-get download` needs apt with arm64
lists (`dpkg --add-architecture arm64`), as bazelw's root has. The kernel is
whatever the lists name when the repository is fetched.

Debian's arm64 `vmlinuz` is an uncompressed `Image` behind an EFI stub, which
`qemu-system-aarch64 -kernel` boots as it is. Its SQUASHFS and VIRTIO_BLK are
modules (=m), so the repository also gives `squashfs.ko.xz` and
`virtio_blk.ko.xz` for the initramfs; the guest loads them (the kernel has
MODULE_DECOMPRESS) before it mounts the runtimes image. `config` is the
kernel's configuration.
"""

# buildifier: disable=bzl-visibility
load("//rules/private:deb.bzl", "check_deb")

_MODULES = {
    "squashfs": "kernel/fs/squashfs/squashfs.ko.xz",
    "virtio_blk": "kernel/drivers/block/virtio_blk.ko.xz",
}

def _apt(rctx, args, what):
    result = rctx.execute(args, working_directory = "debs")
    if result.return_code != 0:
        fail("debian_arm64_kernel: {} failed; bazelw's root has apt with arm64 lists (`dpkg --add-architecture arm64 && apt-get update`):\n{}".format(what, result.stderr))
    return result.stdout

def _depends(rctx, apt_cache, package):
    out = _apt(rctx, [apt_cache, "depends", "--no-recommends", "--no-suggests", package], "`apt-cache depends {}`".format(package))
    deps = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends:") or line.startswith("|Depends:"):
            deps.append(line.split(":", 1)[1].strip().split(":")[0])
    return deps

def _debian_arm64_kernel_impl(rctx):
    apt_get = rctx.which("apt-get")
    apt_cache = rctx.which("apt-cache")
    if not apt_get or not apt_cache:
        fail("debian_arm64_kernel: apt-get and apt-cache are needed (a Debian-based machine with arm64 lists)")
    rctx.file("debs/.keep", "")

    # linux-image-arm64 -> linux-image-<version>-arm64, whose files are in
    # linux-image-<version>-arm64 (older layouts) or in its linux-binary-*,
    # linux-base-* and linux-modules-* dependencies (newer ones).
    images = [d for d in _depends(rctx, apt_cache, "linux-image-arm64:arm64") if d.startswith("linux-image-") and d.endswith("-arm64")]
    if len(images) != 1:
        fail("debian_arm64_kernel: linux-image-arm64 does not depend on one linux-image-*-arm64: {}".format(images))
    image = images[0]
    release = image[len("linux-image-"):]
    packages = [image] + [
        d
        for d in _depends(rctx, apt_cache, image + ":arm64")
        if d in ["linux-binary-" + release, "linux-base-" + release, "linux-modules-" + release]
    ]
    _apt(rctx, [apt_get, "download"] + [p + ":arm64" for p in packages], "`apt-get download {}`".format(" ".join(packages)))
    debs = sorted([p for p in rctx.path("debs").readdir() if p.basename.endswith(".deb")], key = lambda p: p.basename)

    # Nothing is unpacked here: dpkg-deb lists the files, and deb_extract
    # reads the chosen ones at build time through actiond-tool's checked
    # reader. A listing line ends with "./path" or "./path -> target".
    listed = {}
    for deb in debs:
        err = check_deb(rctx, deb, deb.basename)
        if err:
            fail("debian_arm64_kernel: " + err)
        out = _apt(rctx, ["dpkg-deb", "--contents", str(deb)], "`dpkg-deb --contents {}`".format(deb.basename))
        for line in out.splitlines():
            name = line.split(" ./", 1)[-1].split(" -> ", 1)[0].rstrip("/")
            listed[name] = True

    def first(candidates, what):
        for c in candidates:
            if c in listed:
                return c
        fail("debian_arm64_kernel: no {} ({}) in {}".format(what, " or ".join(candidates), ", ".join([d.basename for d in debs])))

    modules = first(["usr/lib/modules/" + release, "lib/modules/" + release], "modules directory")
    members = {
        "config": first(["usr/lib/modules/{}/config".format(release), "boot/config-" + release], "config"),
        "vmlinuz": first(["usr/lib/modules/{}/vmlinuz".format(release), "boot/vmlinuz-" + release], "vmlinuz"),
    }
    for name, path in _MODULES.items():
        members[name + ".ko.xz"] = first([modules + "/" + path], name + " module")

    rctx.file("BUILD.bazel", """\
load("@rules_actiond//rules/private:deb.bzl", "deb_extract")

package(default_visibility = ["//visibility:public"])

deb_extract(
    name = "files",
    debs = {debs},
    members = {members},
    outs = {outs},
)

{aliases}
""".format(
        debs = repr(["debs/" + d.basename for d in debs]),
        members = repr([members[k] for k in sorted(members)]),
        outs = repr(sorted(members)),
        aliases = "\n".join([
            'alias(name = "{}", actual = "{}")\n'.format(name, out)
            for name, out in [(m + "_ko", m + ".ko.xz") for m in sorted(_MODULES)]
        ]),
    ))

debian_arm64_kernel = repository_rule(
    implementation = _debian_arm64_kernel_impl,
    doc = "Debian's current arm64 kernel (Image, config, squashfs and virtio_blk modules), through apt.",
)

def _debian_arm64_kernel_ext_impl(_module_ctx):
    debian_arm64_kernel(name = "debian_arm64_kernel")

debian_arm64_kernel_ext = module_extension(
    implementation = _debian_arm64_kernel_ext_impl,
    doc = "Creates @debian_arm64_kernel.",
)
