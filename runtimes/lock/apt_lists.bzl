"""Development only: a Packages index from this machine's apt lists.

For suites that apt reaches and whose archive the project does not name
(Debian bullseye's arm64, in bazelw's root): `glibc_lock` resolves package
names through it into pins whose URLs are `apt:<package>:<arch>=<version>`.
"""

def _apt_packages_index_impl(rctx):
    want = "_dists_{}_main_binary-{}_Packages".format(rctx.attr.suite, rctx.attr.arch)
    lists = rctx.path("/var/lib/apt/lists")
    found = [p for p in (lists.readdir() if lists.exists else []) if p.basename.endswith(want)]
    if len(found) != 1:
        fail("apt_packages_index: no {} list of {} in /var/lib/apt/lists; `apt-get update` with that suite first (bazelw's root has it)".format(rctx.attr.arch, rctx.attr.suite))
    rctx.symlink(found[0], "Packages")
    rctx.file("BUILD.bazel", 'exports_files(["Packages"])\n')

apt_packages_index = repository_rule(
    implementation = _apt_packages_index_impl,
    local = True,
    doc = "Exports `Packages`: the main component of `suite` for `arch` (Debian's name) from /var/lib/apt/lists.",
    attrs = {
        "arch": attr.string(mandatory = True),
        "suite": attr.string(mandatory = True),
    },
)
