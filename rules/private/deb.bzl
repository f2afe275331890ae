""".debs in repository rules: verified, never unpacked.

Repository rules only download a .deb, check its sha256 and its ar
structure here, and write a BUILD file. Everything that reads the archive's
contents runs as a build action through actiond-tool, whose reader refuses
any entry that would land outside its tree (`deb_extract`, `glibc_runtime`,
`squashfs_image`).
"""

load(":actiond_tool_toolchain.bzl", "ACTIOND_TOOL_TOOLCHAIN_TYPE", "actiond_tool")

_COMPRESSIONS = ["xz", "zst", "gz"]

def download_deb(rctx, urls, output, sha256):
    """Downloads a .deb, verified by `sha256`, from its first working URL.

    A URL `apt:<package>:<arch>=<version>` has this machine's `apt-get
    download` fetch it (for .debs of a suite that apt reaches and whose
    archive we do not name); the others go through Bazel's downloader.

    Args:
      rctx: a repository_ctx.
      urls: the mirrors, in order.
      output: the path to write.
      sha256: the .deb's sha256.
    """
    if not urls[0].startswith("apt:"):
        rctx.download(url = urls, output = output, sha256 = sha256, canonical_id = sha256)
        return
    spec = urls[0].removeprefix("apt:")
    apt = rctx.which("apt-get")
    if not apt:
        fail("{}: apt-get is needed to fetch it (a Debian-based machine)".format(urls[0]))
    scratch = "_apt_" + sha256
    rctx.file(scratch + "/.keep", "")
    result = rctx.execute([apt, "download", spec], working_directory = scratch)
    found = [p for p in rctx.path(scratch).readdir() if p.basename.endswith(".deb")]
    if result.return_code != 0 or len(found) != 1:
        fail("{}: `apt-get download {}` failed; does apt have that suite in its lists?\n{}".format(urls[0], spec, result.stderr))

    # apt writes an epoch's ':' as "%3a", which a file:// URL would decode.
    fetched = scratch + "/fetched.deb"
    rctx.symlink(found[0], fetched)
    rctx.download(url = "file://" + str(rctx.path(fetched)), output = output, sha256 = sha256)
    rctx.delete(scratch)

def check_deb(rctx, deb, filename):
    """Checks that a file is a .deb: an ar archive with a data.tar of a known compression.

    Args:
      rctx: the repository_ctx.
      deb: the path of the .deb.
      filename: its name, for messages.

    Returns:
      None, or an error message naming the file.
    """
    data = rctx.read(deb)
    if data[:8] != "!<arch>\n":
        return "{} is not a .deb: it does not start with the ar magic '!<arch>'".format(filename)
    members = []
    pos = 8
    for _ in range(len(data)):
        if pos >= len(data):
            break
        header = data[pos:pos + 60]
        if len(header) < 60:
            return "{} is truncated: it ends inside the header of member {}".format(filename, len(members) + 1)
        name = header[:16].rstrip(" ")
        name = name[:-1] if name.endswith("/") else name
        size = header[48:58].rstrip(" ")
        if header[58:] != "`\n" or not size.isdigit():
            return "{} is a corrupt ar archive: the header of member {} is malformed".format(filename, len(members) + 1)
        pos += 60 + int(size)
        if pos > len(data):
            return "{} is truncated: member {} ends past the end of the file".format(filename, name)
        pos += int(size) % 2
        members.append(name)
    data_members = [m for m in members if m.startswith("data.tar")]
    if not data_members:
        return "{} has no data.tar.* member (members: {})".format(filename, ", ".join(members))
    for member in data_members + [m for m in members if m.startswith("control.tar")]:
        suffix = member.split(".tar", 1)[1].lstrip(".")
        if suffix not in _COMPRESSIONS:
            return "{}: {} has unknown compression '{}'; supported: {}".format(
                filename,
                member,
                suffix,
                ", ".join(_COMPRESSIONS),
            )
    return None

def _deb_extract_impl(ctx):
    if len(ctx.attr.members) != len(ctx.outputs.outs):
        fail("{}: members and outs must be of the same length".format(ctx.label))
    args = ctx.actions.args()
    args.add_all(["deb", "extract"])
    for member, out in zip(ctx.attr.members, ctx.outputs.outs):
        args.add("--member", "{}={}".format(member, out.path))
    args.add_all(ctx.files.debs)
    ctx.actions.run(
        executable = actiond_tool(ctx),
        arguments = [args],
        inputs = ctx.files.debs,
        outputs = ctx.outputs.outs,
        mnemonic = "DebExtract",
        progress_message = "Extracting %{label} from .debs",
    )
    return [DefaultInfo(files = depset(ctx.outputs.outs))]

deb_extract = rule(
    implementation = _deb_extract_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = "Files of .debs' data, each written to an output by actiond-tool's checked reader.",
    attrs = {
        "debs": attr.label_list(allow_files = [".deb"], mandatory = True, doc = "The .debs, read in order into one tree."),
        "members": attr.string_list(mandatory = True, doc = "Paths in the data (symlinks of the archive are followed)."),
        "outs": attr.output_list(mandatory = True, doc = "One output per member, in order."),
    },
)

def _deb_archive_impl(rctx):
    filename = rctx.attr.urls[0].rsplit("/", 1)[-1]
    if not filename.endswith(".deb"):
        filename = rctx.name + ".deb"
    rctx.download(url = rctx.attr.urls, output = filename, sha256 = rctx.attr.sha256, canonical_id = rctx.attr.sha256)
    err = check_deb(rctx, rctx.path(filename), filename)
    if err:
        fail("deb_archive {}: {}".format(rctx.attr.name, err))
    rctx.file("BUILD.bazel", """\
load("@rules_actiond//rules/private:deb.bzl", "deb_extract")

package(default_visibility = ["//visibility:public"])

exports_files([{deb}])

deb_extract(
    name = "files",
    debs = [{deb}],
    members = {files},
    outs = {files},
)
""".format(deb = repr(filename), files = repr(rctx.attr.files)))

deb_archive = repository_rule(
    implementation = _deb_archive_impl,
    doc = """A .deb (sha256-pinned, mirrors in order) and the files of it you name, as labels.

The repository rule only downloads the .deb and checks its ar structure; it
never unpacks it. Each path in `files` is a target of the repository, e.g.
`@linux_image//:boot/vmlinuz-6.8.0-31-generic`, written by a build action
through actiond-tool's checked reader, which refuses entries that would land
outside the tree (absolute names, `..`, names below a symlink, hard links
out, device nodes). `:files` holds them all, and the .deb itself is exported
by its file name.

Example, in MODULE.bazel:

```starlark
deb_archive = use_repo_rule("@rules_actiond//rules:repositories.bzl", "deb_archive")

deb_archive(
    name = "linux_image",
    files = ["boot/vmlinuz-6.8.0-31-generic"],
    sha256 = "fd2ed023c84163e62c73d3b7b613a9b004bd31e335641c23d42bd249e489fbe6",
    urls = ["https://archive.ubuntu.com/ubuntu/pool/main/l/linux-signed/linux-image-6.8.0-31-generic_6.8.0-31.31_amd64.deb"],
)
```
""",
    attrs = {
        "files": attr.string_list(mandatory = True, doc = "Paths in the package's data to expose, e.g. `boot/vmlinuz-...`."),
        "sha256": attr.string(mandatory = True, doc = "The .deb's sha256."),
        "urls": attr.string_list(mandatory = True, doc = "Mirrors, tried in order."),
    },
)
