"""The `glibc` module extension: declared runtimes become repositories."""

load(":glibc_deb_runtime.bzl", "ARCHES", "DEFAULT_STRIP", "GCONV_STRIP", "glibc_deb_runtime")
load(":libc_platform.bzl", "validate_libc")

_runtime = tag_class(
    doc = """Declares a glibc runtime.

Example:

```starlark
glibc = use_extension("@rules_actiond//rules:extensions.bzl", "glibc")
glibc.runtime(name = "glibc2.35", arch = "x86_64")
glibc.deb(
    runtime = "glibc2.35",
    arch = "x86_64",
    urls = ["https://archive.ubuntu.com/ubuntu/pool/main/g/glibc/libc6_2.35-0ubuntu3_amd64.deb"],
    sha256 = "ea9a27e0ebdd0cfc9c750d94f8074f3a35d1f97dcc77ae04c370fb498a6b6db2",
)
use_repo(glibc, "glibc_runtimes")
```

The runtime is then `@glibc_runtimes//:glibc2.35_x86_64`, a target providing `RuntimeInfo`.
""",
    attrs = {
        "name": attr.string(mandatory = True, doc = "`glibc<major>.<minor>`, e.g. `glibc2.35`."),
        "arch": attr.string(mandatory = True, doc = "One of: " + ", ".join(sorted(ARCHES)) + "."),
        "strip": attr.string_list(doc = "Path patterns removed on top of the defaults (`*` matches one path component)."),
        "keep_gconv": attr.bool(doc = "Keep gconv (iconv's converters). Removing it breaks iconv(3) beyond UTF-8/ASCII."),
    },
)

_deb = tag_class(
    doc = """A .deb of a runtime, unpacked in the order the tags appear.

Give `urls` and `sha256` (mandatory with `urls`), or `file`, a .deb in a repository.""",
    attrs = {
        "runtime": attr.string(mandatory = True, doc = "The runtime's name."),
        "arch": attr.string(mandatory = True, doc = "The runtime's arch."),
        "urls": attr.string_list(doc = "Mirrors, tried in order."),
        "sha256": attr.string(doc = "The .deb's sha256; mandatory with `urls`. With `file`, checked when given, and its absence is printed as a warning naming the file."),
        "file": attr.label(allow_single_file = [".deb"], doc = "A local .deb, instead of `urls`."),
        "filename": attr.string(doc = "The file name; default: the last component of the first URL or of `file`."),
    },
)

_lock = tag_class(
    doc = """Declares the runtimes of a lock file written by `glibc_lock` (`rules/lock.bzl`).

A locked runtime can also have a `glibc.runtime` tag (for `strip` and
`keep_gconv`); `glibc.deb` tags for it add .debs after the locked ones.

```starlark
glibc.lock(file = "//runtimes/lock:glibc.lock.json")
```""",
    attrs = {
        "file": attr.label(mandatory = True, doc = "The lock file (JSON)."),
    },
)

def _is_sha256(s):
    return len(s) == 64 and all([c in "0123456789abcdef" for c in s.elems()])

def collect_runtimes(modules, read_lock):
    """Validates the tags of all modules and merges them.

    The root module's runtimes override other modules' runtimes of the same
    name and arch. Two other modules declaring the same runtime is an error
    (the root module can settle it by declaring it); within one module a
    runtime is declared once.

    Args:
      modules: `module_ctx.modules`.
      read_lock: a function from a lock file's label to its decoded JSON.

    Returns:
      A dict "<name>_<arch>" -> struct(name, arch, strip, debs = [struct(filename, urls, sha256)]).
    """
    runtimes = {}
    declared_by = {}
    for mod in modules:
        own = {}
        where = "module {}".format(mod.name)
        for tag in mod.tags.runtime:
            err = validate_libc(tag.name)
            if err:
                fail("{}: glibc.runtime: {}".format(where, err))
            if tag.arch not in ARCHES:
                fail("{}: glibc.runtime {}: unknown arch {}; allowed: {}".format(where, tag.name, repr(tag.arch), ", ".join(sorted(ARCHES))))
            key = "{}_{}".format(tag.name, tag.arch)
            if key in own:
                fail("{}: glibc.runtime {} {} is declared twice".format(where, tag.name, tag.arch))
            strip = DEFAULT_STRIP + ([] if tag.keep_gconv else GCONV_STRIP) + tag.strip
            own[key] = struct(name = tag.name, arch = tag.arch, strip = strip, debs = [])
        for tag in mod.tags.lock:
            for rt in read_lock(tag.file).get("runtimes", []):
                what = "{}: glibc.lock {}: runtime {} {}".format(where, tag.file, rt.get("name"), rt.get("arch"))
                if validate_libc(rt.get("name", "")) or rt.get("arch") not in ARCHES or not rt.get("debs"):
                    fail("{}: needs a glibc<major>.<minor> name, an arch of {} and debs".format(what, ", ".join(sorted(ARCHES))))
                key = "{}_{}".format(rt["name"], rt["arch"])
                if key not in own:
                    own[key] = struct(name = rt["name"], arch = rt["arch"], strip = DEFAULT_STRIP + GCONV_STRIP, debs = [])
                elif own[key].debs:
                    fail("{}: locked by more than one glibc.lock".format(what))
                for deb in rt["debs"]:
                    if not _is_sha256(deb.get("sha256", "")) or not deb.get("urls") or not deb.get("filename"):
                        fail("{}: every deb needs filename, urls and a sha256".format(what))
                    own[key].debs.append(struct(filename = deb["filename"], urls = deb["urls"], sha256 = deb["sha256"], file = None))
        for tag in mod.tags.deb:
            key = "{}_{}".format(tag.runtime, tag.arch)
            if key not in own:
                fail("{}: glibc.deb for {} {}: no glibc.runtime of that name and arch".format(where, tag.runtime, tag.arch))
            what = "{}: glibc.deb for {} {}".format(where, tag.runtime, tag.arch)
            if bool(tag.urls) == bool(tag.file):
                fail("{}: give either urls or file".format(what))
            if tag.urls and not tag.sha256:
                fail("{}: sha256 is missing; it is mandatory for downloaded .debs ({})".format(what, tag.urls[0]))
            if tag.sha256 and not _is_sha256(tag.sha256):
                fail("{}: sha256 {} is not 64 lowercase hex digits".format(what, repr(tag.sha256)))
            filename = tag.filename or (tag.urls[0] if tag.urls else tag.file.name).rsplit("/", 1)[-1]
            if not filename.endswith(".deb"):
                fail("{}: {} does not name a .deb; set filename".format(what, repr(filename)))
            if filename in [d.filename for d in own[key].debs]:
                fail("{}: {} is listed twice".format(what, filename))
            own[key].debs.append(struct(filename = filename, urls = tag.urls, sha256 = tag.sha256, file = tag.file))
        for key, runtime in own.items():
            if not runtime.debs:
                fail("{}: glibc.runtime {} {} has no glibc.deb".format(where, runtime.name, runtime.arch))
            if key in declared_by and not mod.is_root:
                if declared_by[key] == "<root>":
                    continue
                fail("glibc.runtime {} {} is declared by both module {} and module {}; declare it in the root module to choose".format(
                    runtime.name,
                    runtime.arch,
                    declared_by[key],
                    mod.name,
                ))
            runtimes[key] = runtime
            declared_by[key] = "<root>" if mod.is_root else mod.name
    return runtimes

def _hub_impl(rctx):
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    for key, repo in sorted(rctx.attr.runtimes.items()):
        for suffix, target in [("", "runtime"), ("_manifest", "manifest")]:
            lines.append("alias(\n    name = {},\n    actual = {},\n)\n".format(
                repr(key + suffix),
                repr("@{}//:{}".format(repo, target)),
            ))
    rctx.file("BUILD.bazel", "\n".join(lines))
    rctx.file("runtimes.bzl", "RUNTIMES = {}\n".format(repr(sorted(rctx.attr.runtimes.keys()))))

_hub = repository_rule(
    implementation = _hub_impl,
    attrs = {"runtimes": attr.string_dict()},
)

def _glibc_impl(module_ctx):
    runtimes = collect_runtimes(module_ctx.modules, lambda label: json.decode(module_ctx.read(label)))
    hub = {}
    for key, runtime in runtimes.items():
        repo = "glibc_runtime_" + key
        glibc_deb_runtime(
            name = repo,
            runtime_name = runtime.name,
            arch = runtime.arch,
            deb_order = [d.filename for d in runtime.debs],
            deb_urls = {d.filename: d.urls for d in runtime.debs if d.urls},
            deb_files = {d.file: d.filename for d in runtime.debs if d.file},
            deb_sha256 = {d.filename: d.sha256 for d in runtime.debs if d.sha256},
            strip = runtime.strip,
        )
        hub[key] = repo
    _hub(name = "glibc_runtimes", runtimes = hub)

    # Reproducible (no lock-file entry needed) when every .deb is pinned by
    # sha256; `bazel mod tidy` keeps the root module's use_repo to the hub.
    pinned = all([d.sha256 for r in runtimes.values() for d in r.debs])
    root_dev = [module_ctx.is_dev_dependency(t) for m in module_ctx.modules if m.is_root for t in m.tags.runtime + m.tags.deb + m.tags.lock]
    dev = bool(root_dev) and all(root_dev)
    return module_ctx.extension_metadata(
        reproducible = pinned,
        root_module_direct_deps = [] if dev else ["glibc_runtimes"],
        root_module_direct_dev_deps = ["glibc_runtimes"] if dev else [],
    )

glibc = module_extension(
    implementation = _glibc_impl,
    tag_classes = {"runtime": _runtime, "deb": _deb, "lock": _lock},
    doc = """glibc runtimes from pinned Ubuntu (or Debian) .debs.

Creates `@glibc_runtimes` with one target per runtime, `<name>_<arch>`, and a
`runtimes.bzl` listing them. Each runtime's repository downloads its .debs
(sha256-verified, into Bazel's repository cache) and checks that they are
.debs; it unpacks nothing. Its `glibc_runtime` target reads them in a build
action through actiond-tool, which refuses entries that would land outside
the tree, strips documentation and (unless `keep_gconv`) gconv, and derives
`runtime_manifest.json` from what the tree contains. Bazel's downloader config
(`--experimental_downloader_config`) can rewrite the URLs to a mirror.""",
)
