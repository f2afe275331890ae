"""Reading .debs in repository rules: checked unpacking of data.tar.*."""

_COMPRESSIONS = ["xz", "zst", "gz"]

def _control_fields(text):
    fields = {}
    for line in text.split("\n"):
        if line and not line.startswith(" ") and ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
    return fields

def unpack_deb(rctx, deb, filename, output):
    """Unpacks a .deb's data.tar into `output`.

    Args:
      rctx: the repository_ctx.
      deb: the path of the .deb.
      filename: its name, for messages.
      output: the directory (relative to the repository) to unpack into.

    Returns:
      (control fields as a dict, None), or (None, an error message naming the file).
    """
    if rctx.read(deb)[:8] != "!<arch>\n":
        return None, "{} is not a .deb: it does not start with the ar magic '!<arch>'".format(filename)
    work = rctx.path("_unpack/" + filename)
    rctx.extract(deb, output = work)
    members = {m.basename: m for m in work.readdir(watch = "no")}
    data = [n for n in members if n.startswith("data.tar")]
    control = [n for n in members if n.startswith("control.tar")]
    if not data:
        return None, "{} has no data.tar.* member (members: {})".format(filename, ", ".join(sorted(members.keys())))
    for member in data + control:
        suffix = member.split(".tar", 1)[1].lstrip(".")
        if suffix not in _COMPRESSIONS:
            return None, "{}: {} has unknown compression '{}'; supported: {}".format(
                filename,
                member,
                suffix,
                ", ".join(_COMPRESSIONS),
            )
    fields = {}
    if control:
        rctx.extract(members[control[0]], output = work.get_child("control"))
        control_file = work.get_child("control").get_child("control")
        if control_file.exists:
            fields = _control_fields(rctx.read(control_file))
    rctx.extract(members[data[0]], output = output)
    return fields, None

def _deb_archive_impl(rctx):
    filename = rctx.attr.urls[0].rsplit("/", 1)[-1]
    if not filename.endswith(".deb"):
        filename = rctx.name + ".deb"
    rctx.download(url = rctx.attr.urls, output = filename, sha256 = rctx.attr.sha256, canonical_id = rctx.attr.sha256)
    _, err = unpack_deb(rctx, rctx.path(filename), filename, ".")
    if err:
        fail("deb_archive {}: {}".format(rctx.attr.name, err))
    rctx.delete("_unpack")
    rctx.delete(filename)
    rctx.file("BUILD.bazel", rctx.attr.build_file_content or """\
package(default_visibility = ["//visibility:public"])

exports_files(glob(["**"], exclude = ["BUILD.bazel", "REPO.bazel"]))

filegroup(
    name = "files",
    srcs = glob(["**"], exclude = ["BUILD.bazel", "REPO.bazel"]),
)
""")

deb_archive = repository_rule(
    implementation = _deb_archive_impl,
    doc = """A .deb's files as a repository: downloaded (sha256-pinned, mirrors in order), its data.tar unpacked.

Every file is exported by its path in the package, e.g.
`@linux_image//:boot/vmlinuz-6.8.0-31-generic`, and `:files` holds them all.
Symlinks are unpacked by Bazel, which rewrites absolute targets; use the
`.deb` itself (through the `glibc` extension or `sqfs_image`'s `debs`) where
link targets must stay verbatim.

Example, in MODULE.bazel:

```starlark
deb_archive = use_repo_rule("@rules_actiond//rules:repositories.bzl", "deb_archive")

deb_archive(
    name = "linux_image",
    sha256 = "fd2ed023c84163e62c73d3b7b613a9b004bd31e335641c23d42bd249e489fbe6",
    urls = ["https://archive.ubuntu.com/ubuntu/pool/main/l/linux-signed/linux-image-6.8.0-31-generic_6.8.0-31.31_amd64.deb"],
)
```
""",
    attrs = {
        "build_file_content": attr.string(doc = "A BUILD file to use instead of the default."),
        "sha256": attr.string(mandatory = True, doc = "The .deb's sha256."),
        "urls": attr.string_list(mandatory = True, doc = "Mirrors, tried in order."),
    },
)
