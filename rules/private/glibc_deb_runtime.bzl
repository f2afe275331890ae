"""The `glibc_deb_runtime` repository rule: a glibc runtime from pinned .debs."""

load(":deb.bzl", "check_deb", "download_deb")

ARCHES = {
    "aarch64": struct(triplet = "aarch64-linux-gnu", deb_arch = "arm64"),
    "x86_64": struct(triplet = "x86_64-linux-gnu", deb_arch = "amd64"),
}

# The default strip list. Patterns are '/'-separated paths relative to the
# runtime root; `*` matches one whole path component; a match removes the path
# and everything below it.
DEFAULT_STRIP = [
    "usr/share/doc",
    "usr/share/info",
    "usr/share/lintian",
    "usr/share/locale",
    "usr/share/man",
]

# gconv holds iconv's character-set converters. Removing it saves about 7 MB
# and breaks iconv(3) for anything but UTF-8/ASCII; keep_gconv keeps it.
GCONV_STRIP = [
    "lib/*/gconv",
    "usr/lib/*/gconv",
]

# What a sysroot leaves out: everything but the headers and libraries that
# compiling and linking need.
SYSROOT_STRIP = [
    "bin",
    "etc",
    "sbin",
    "usr/bin",
    "usr/sbin",
    "usr/share",
    "usr/lib/*/gconv",
    "var",
]

def build_runtime(rctx, runtime_name, arch, debs, strip, kind = "runtime"):
    """Writes a runtime repository's BUILD over its downloaded .debs.

    Nothing is unpacked here: each .deb is checked to be an ar archive with a
    data.tar, and `glibc_runtime` unpacks, strips and derives the manifest in
    a build action, through actiond-tool's checked reader.

    Args:
      rctx: the repository_ctx.
      runtime_name: `glibc<major>.<minor>`.
      arch: `x86_64` or `aarch64`.
      debs: list of struct(path, filename, source), in unpacking order; each
        path is `debs/<filename>` in the repository, and each source says
        where it came from, as the manifest's `debs` holds it: its first URL,
        the label of a local file, or `apt:<package>:<arch>=<version>`.
      strip: strip patterns.
      kind: `runtime` (a `glibc_runtime` target) or `sysroot` (a
        `glibc_sysroot` target).

    Returns:
      None, or an error message naming the file and the reason.
    """
    if arch not in ARCHES:
        return "unknown arch {}; allowed: {}".format(repr(arch), ", ".join(sorted(ARCHES)))
    for deb in debs:
        err = check_deb(rctx, deb.path, deb.filename)
        if err:
            return err
    rctx.file("BUILD.bazel", (_SYSROOT_BUILD if kind == "sysroot" else _BUILD).format(
        name = repr(runtime_name),
        arch = repr(arch),
        version = repr(runtime_name[len("glibc"):]),
        debs = repr(["debs/" + d.filename for d in debs]),
        deb_sources = repr([d.source for d in debs]),
        strip = repr(strip),
    ))
    return None

def _glibc_deb_runtime_impl(rctx):
    local = {filename: label for label, filename in rctx.attr.deb_files.items()}
    debs = []
    for filename in rctx.attr.deb_order:
        path = "debs/" + filename
        if filename in local:
            source = rctx.path(local[filename])
            if filename not in rctx.attr.deb_sha256:
                # buildifier: disable=print
                print("rules_actiond: glibc runtime {} {}: {} ({}) has no sha256 pin; give glibc.deb a sha256 to pin it".format(
                    rctx.attr.runtime_name,
                    rctx.attr.arch,
                    filename,
                    local[filename],
                ))
            rctx.download(url = "file://" + str(source), output = path, sha256 = rctx.attr.deb_sha256.get(filename, ""))
            origin = str(local[filename])
        else:
            sha256 = rctx.attr.deb_sha256[filename]
            download_deb(rctx, rctx.attr.deb_urls[filename], path, sha256)
            origin = rctx.attr.deb_urls[filename][0]
        debs.append(struct(path = rctx.path(path), filename = filename, source = origin))
    err = build_runtime(rctx, rctx.attr.runtime_name, rctx.attr.arch, debs, rctx.attr.strip, rctx.attr.kind)
    if err:
        fail("glibc runtime {} {}: {}".format(rctx.attr.runtime_name, rctx.attr.arch, err))

_BUILD = """\
load("@rules_actiond//rules/private:glibc_runtime.bzl", "glibc_runtime")

package(default_visibility = ["//visibility:public"])

glibc_runtime(
    name = "runtime",
    arch = {arch},
    deb_sources = {deb_sources},
    debs = {debs},
    glibc_version = {version},
    runtime_name = {name},
    strip = {strip},
)

filegroup(
    name = "manifest",
    srcs = [":runtime"],
    output_group = "manifest",
)
"""

_SYSROOT_BUILD = """\
load("@rules_actiond//rules/private:glibc_sysroot.bzl", "glibc_sysroot")

package(default_visibility = ["//visibility:public"])

glibc_sysroot(
    name = "sysroot",
    arch = {arch},
    debs = {debs},
    strip = {strip},
    sysroot_name = {name},
)
"""

glibc_deb_runtime = repository_rule(
    implementation = _glibc_deb_runtime_impl,
    doc = """Downloads pinned .debs and checks them; `glibc_runtime` derives the runtime from them in a build action.

Made by the `glibc` module extension; use that instead.""",
    attrs = {
        "arch": attr.string(mandatory = True),
        "deb_files": attr.label_keyed_string_dict(allow_files = [".deb"], doc = "Local .debs (instead of URLs) -> file name."),
        "deb_order": attr.string_list(mandatory = True, doc = "The .deb file names, in unpacking order."),
        "deb_sha256": attr.string_dict(doc = "File name -> sha256; mandatory for downloaded .debs."),
        "deb_urls": attr.string_list_dict(doc = "File name -> mirrors, tried in order."),
        "kind": attr.string(default = "runtime", values = ["runtime", "sysroot"], doc = "What the .debs make: a runtime or a sysroot."),
        "runtime_name": attr.string(mandatory = True),
        "strip": attr.string_list(doc = "Strip patterns, defaults included."),
    },
)
