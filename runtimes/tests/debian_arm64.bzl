"""Test-only: runtimes from Debian's arm64 .debs, fetched through apt.

Ubuntu ports is unreachable from our machines, so the aarch64 code paths are
tested on Debian's arm64 .debs instead: `apt-get download libc6:arm64` needs
apt with arm64 lists (`dpkg --add-architecture arm64`), as bazelw's root has.
The runtime is named after the version apt gives (glibc<major>.<minor>).
"""

# buildifier: disable=bzl-visibility
load("//rules/private:deb.bzl", "download_deb")

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

def _locked_runtime_impl(rctx):
    entries = [
        e
        for e in json.decode(rctx.read(rctx.attr.lock))["runtimes"]
        if e["name"] == rctx.attr.runtime_name and e["arch"] == rctx.attr.arch
    ]
    if len(entries) != 1:
        fail("locked_runtime: {} has no single {} {}".format(rctx.attr.lock, rctx.attr.runtime_name, rctx.attr.arch))
    debs = []
    for package in rctx.attr.packages:
        deb = [d for d in entries[0]["debs"] if d["package"] == package]
        if not deb:
            fail("locked_runtime: {} {} of {} has no {}".format(rctx.attr.runtime_name, rctx.attr.arch, rctx.attr.lock, package))
        path = "debs/" + deb[0]["filename"]
        download_deb(rctx, deb[0]["urls"], path, deb[0]["sha256"])
        debs.append(struct(path = rctx.path(path), filename = deb[0]["filename"], source = deb[0]["urls"][0]))
    err = build_runtime(rctx, rctx.attr.runtime_name, rctx.attr.arch, debs, DEFAULT_STRIP + GCONV_STRIP)
    if err:
        fail("locked_runtime: " + err)

locked_runtime = repository_rule(
    implementation = _locked_runtime_impl,
    doc = "A runtime of some packages of a lock's entry (pinned by sha256), such as a sysroot lock's.",
    attrs = {
        "arch": attr.string(mandatory = True),
        "lock": attr.label(mandatory = True),
        "packages": attr.string_list(mandatory = True),
        "runtime_name": attr.string(mandatory = True),
    },
)

def _debian_arm64_impl(_module_ctx):
    debian_arm64_runtime(name = "debian_arm64_runtime")

    # Debian bullseye's glibc 2.31 for arm64, pinned in the sysroot lock.
    locked_runtime(
        name = "debian_bullseye_arm64_runtime",
        arch = "aarch64",
        lock = "//runtimes/lock:sysroot.lock.json",
        packages = [
            "libc6",
            "libgcc-s1",
        ],
        runtime_name = "glibc2.31",
    )

debian_arm64 = module_extension(implementation = _debian_arm64_impl)
