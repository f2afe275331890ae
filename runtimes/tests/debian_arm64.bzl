"""Test-only: a runtime from Debian's arm64 libc6, fetched through apt.

Ubuntu ports is unreachable from our machines, so the aarch64 code paths are
tested on Debian's arm64 .debs instead: `apt-get download libc6:arm64` needs
apt with arm64 lists (`dpkg --add-architecture arm64`), as bazelw's root has.
The runtime is named after the version apt gives (glibc<major>.<minor>).
"""

# buildifier: disable=bzl-visibility
load("//rules/private:glibc_deb_runtime.bzl", "DEFAULT_STRIP", "GCONV_STRIP", "build_runtime")

def _debian_arm64_runtime_impl(rctx):
    apt = rctx.which("apt-get")
    if not apt:
        fail("debian_arm64_runtime: apt-get is needed (a Debian-based machine with arm64 lists)")
    rctx.file("debs/.keep", "")
    result = rctx.execute([apt, "download", "libc6:arm64"], working_directory = "debs")
    if result.return_code != 0:
        fail("debian_arm64_runtime: `apt-get download libc6:arm64` failed; run " +
             "`dpkg --add-architecture arm64 && apt-get update` first:\n" + result.stderr)
    debs = [p for p in rctx.path("debs").readdir() if p.basename.endswith(".deb")]
    if len(debs) != 1:
        fail("debian_arm64_runtime: expected one .deb, got {}".format(debs))
    deb = debs[0]
    full_version = deb.basename.split("_")[1].replace("%3a", ":")
    version = full_version.split(":")[-1]
    err = build_runtime(
        rctx,
        "glibc" + ".".join(version.split("-")[0].split(".")[:2]),
        "aarch64",
        [struct(path = deb, filename = deb.basename, source = "apt:libc6:arm64=" + full_version)],
        DEFAULT_STRIP + GCONV_STRIP,
    )
    if err:
        fail("debian_arm64_runtime: " + err)

debian_arm64_runtime = repository_rule(implementation = _debian_arm64_runtime_impl)

def _debian_arm64_impl(_module_ctx):
    debian_arm64_runtime(name = "debian_arm64_runtime")

debian_arm64 = module_extension(implementation = _debian_arm64_impl)
