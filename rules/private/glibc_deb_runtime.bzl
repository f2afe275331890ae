"""The `glibc_deb_runtime` repository rule: a glibc runtime from pinned .debs."""

load(":deb.bzl", "unpack_deb")

ARCHES = {
    "aarch64": struct(triplet = "aarch64-linux-gnu", deb_arch = "arm64"),
    "x86_64": struct(triplet = "x86_64-linux-gnu", deb_arch = "amd64"),
}

# The seed's strip list. Patterns are '/'-separated paths relative to the
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

# Directories whose ld-linux* entries are ELF interpreters (PT_INTERP paths).
_INTERPRETER_DIRS = ["lib64", "lib", "usr/lib64", "usr/lib"]

def _match(pattern_parts, path_parts):
    if len(path_parts) < len(pattern_parts):
        return False
    for p, c in zip(pattern_parts, path_parts[:len(pattern_parts)]):
        if p != "*" and p != c:
            return False
    return True

def strip_matches(patterns, path):
    """Whether a strip pattern removes `path`.

    Args:
      patterns: strip patterns (see DEFAULT_STRIP).
      path: a '/'-separated path relative to the runtime root.

    Returns:
      True if some pattern matches `path` or one of its parents.
    """
    parts = path.split("/")
    for pattern in patterns:
        if _match(pattern.split("/"), parts):
            return True
    return False

def _strip_tree(rctx, root, patterns):
    # Starlark has neither recursion nor while: walk breadth-first over a list
    # that grows as directories are found. Symlinks are never followed.
    queue = [(root, "")]
    for _ in range(1 << 30):
        if not queue:
            break
        dir, rel = queue.pop()
        for child in dir.readdir(watch = "no"):
            child_rel = child.basename if not rel else rel + "/" + child.basename
            if strip_matches(patterns, child_rel):
                rctx.delete(child)
            elif child.is_dir and not _is_symlink(child):
                queue.append((child, child_rel))

def _is_symlink(path):
    return str(path.dirname.realpath.get_child(path.basename)) != str(path.realpath)

def _derive_manifest(rctx, triplet):
    """Mounts, interpreters and added symlinks, from what root/ contains.

    Returns:
      (struct(mounts, interpreters, symlinks), error).
    """
    root = rctx.path("root")

    def real_dir(rel):
        p = root.get_child(rel)
        return p.exists and p.is_dir and not _is_symlink(p)

    mounts = []
    for rel in ["lib/" + triplet, "usr/lib/" + triplet, "lib64", "usr/lib64"]:
        if real_dir(rel):
            mounts.append({"source": rel, "target": "/" + rel})
    symlinks = {}
    usrmerged = not root.get_child("lib").exists and real_dir("usr/lib/" + triplet)
    if usrmerged:
        # Ubuntu's usrmerge: /lib, /lib64 are links into /usr, as on a real
        # noble system, so the ABI's loader path resolves inside the tree.
        for top in ["lib", "lib64"]:
            if real_dir("usr/" + top):
                symlinks[top] = "usr/" + top
                rctx.symlink(root.get_child("usr").get_child(top), root.get_child(top))

                # Mount the /usr directories at the /lib paths too, for
                # action roots that are not usrmerged.
                sub = "/" + triplet if top == "lib" else ""
                mounts.append({"source": "usr/" + top + sub, "target": "/" + top + sub})
    if not mounts:
        return None, "no library directory (lib/{t}, usr/lib/{t}, lib64, usr/lib64) in the unpacked .debs".format(t = triplet)

    interpreters = []
    for dir in _INTERPRETER_DIRS:
        d = root.get_child(dir)
        if not d.exists or not d.is_dir:
            continue
        for entry in sorted(d.readdir(watch = "no"), key = lambda p: p.basename):
            path = "/{}/{}".format(dir, entry.basename)
            if entry.basename.startswith("ld-linux") and entry.exists and path not in interpreters:
                interpreters.append(path)
    if not interpreters:
        return None, "no ld-linux* interpreter in {} of the unpacked .debs".format(", ".join(_INTERPRETER_DIRS))

    # A file mount for each interpreter outside the mounted directories
    # (aarch64's /lib/ld-linux-aarch64.so.1).
    # Sources never go through the usrmerge links added above.
    mounted = [m["target"] for m in mounts]
    for interp in interpreters:
        dir, base = interp[1:].rsplit("/", 1)
        if "/" + dir not in mounted:
            top = dir.split("/")[0]
            source_dir = symlinks[top] + dir[len(top):] if top in symlinks else dir
            mounts.append({"source": source_dir + "/" + base, "target": interp})
    return struct(mounts = mounts, interpreters = interpreters, symlinks = symlinks), None

def build_runtime(rctx, runtime_name, arch, debs, strip):
    """Unpacks local .debs into a runtime repository: root/, manifest, BUILD.

    Args:
      rctx: the repository_ctx.
      runtime_name: `glibc<major>.<minor>`.
      arch: `x86_64` or `aarch64`.
      debs: list of struct(path, filename, sha256), in unpacking order; each
        path is `debs/<filename>` in the repository.
      strip: strip patterns.

    Returns:
      None, or an error message naming the file and the reason.
    """
    if arch not in ARCHES:
        return "unknown arch {}; allowed: {}".format(repr(arch), ", ".join(sorted(ARCHES)))
    major_minor = runtime_name[len("glibc"):]
    deb_entries = []
    for deb in debs:
        fields, err = unpack_deb(rctx, deb.path, deb.filename, "root")
        if err:
            return err
        package = fields.get("Package", deb.filename.split("_")[0])
        version = fields.get("Version", "")
        if package == "libc6" and not version.startswith(major_minor + "-"):
            return "{} is libc6 {}, but the runtime is named {}".format(deb.filename, version, runtime_name)
        deb_entries.append({"package": package, "version": version, "filename": deb.filename, "sha256": deb.sha256})
    rctx.delete("_unpack")

    _strip_tree(rctx, rctx.path("root"), strip)
    derived, err = _derive_manifest(rctx, ARCHES[arch].triplet)
    if err:
        return err

    manifest = {
        "name": runtime_name,
        "arch": arch,
        "debs": deb_entries,
        "mounts": derived.mounts,
        "interpreters": derived.interpreters,
    }
    rctx.file("runtime_manifest.json", json.encode_indent(manifest, indent = "  ") + "\n")
    rctx.file("root/.runtime", "")
    rctx.file("BUILD.bazel", _BUILD.format(
        name = repr(runtime_name),
        arch = repr(arch),
        version = repr(major_minor),
        debs = repr(["debs/" + d.filename for d in debs]),
        strip = repr(strip),
        symlinks = repr(derived.symlinks),
        # glob() follows the usrmerge links; list each file once.
        exclude = repr(["root/{}/**".format(link) for link in sorted(derived.symlinks)]),
    ))
    return None

def _glibc_deb_runtime_impl(rctx):
    local = {filename: label for label, filename in rctx.attr.deb_files.items()}
    debs = []
    for filename in rctx.attr.deb_order:
        path = "debs/" + filename
        if filename in local:
            source = rctx.path(local[filename])
            result = rctx.download(url = "file://" + str(source), output = path, sha256 = rctx.attr.deb_sha256.get(filename, ""))
        else:
            sha256 = rctx.attr.deb_sha256[filename]
            result = rctx.download(url = rctx.attr.deb_urls[filename], output = path, sha256 = sha256, canonical_id = sha256)
        debs.append(struct(path = rctx.path(path), filename = filename, sha256 = result.sha256))
    err = build_runtime(rctx, rctx.attr.runtime_name, rctx.attr.arch, debs, rctx.attr.strip)
    if err:
        fail("glibc runtime {} {}: {}".format(rctx.attr.runtime_name, rctx.attr.arch, err))

_BUILD = """\
load("@rules_actiond//rules/private:runtime_info.bzl", "glibc_runtime")

package(default_visibility = ["//visibility:public"])

exports_files(["runtime_manifest.json"])

glibc_runtime(
    name = "runtime",
    arch = {arch},
    debs = {debs},
    glibc_version = {version},
    manifest = "runtime_manifest.json",
    root = "root/.runtime",
    root_files = glob(["root/**"], exclude = {exclude}),
    runtime_name = {name},
    strip = {strip},
    symlinks = {symlinks},
)
"""

glibc_deb_runtime = repository_rule(
    implementation = _glibc_deb_runtime_impl,
    doc = """Downloads pinned .debs, unpacks them for inspection, and writes runtime_manifest.json.

Made by the `glibc` module extension; use that instead.""",
    attrs = {
        "arch": attr.string(mandatory = True),
        "deb_files": attr.label_keyed_string_dict(allow_files = [".deb"], doc = "Local .debs (instead of URLs) -> file name."),
        "deb_order": attr.string_list(mandatory = True, doc = "The .deb file names, in unpacking order."),
        "deb_sha256": attr.string_dict(doc = "File name -> sha256; mandatory for downloaded .debs."),
        "deb_urls": attr.string_list_dict(doc = "File name -> mirrors, tried in order."),
        "runtime_name": attr.string(mandatory = True),
        "strip": attr.string_list(doc = "Strip patterns, defaults included."),
    },
)
