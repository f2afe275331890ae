"""The `glibc` module extension: declared runtimes become repositories."""

load(":gcc_probe.bzl", "gcc_include_dirs", "gcc_tool_paths")
load(":glibc_deb_runtime.bzl", "ARCHES", "DEFAULT_STRIP", "GCONV_STRIP", "SYSROOT_STRIP", "glibc_deb_runtime")
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

_sysroot = tag_class(
    doc = """Declares the sysroots of a lock file written by `glibc_lock`, to link against an old glibc.

Each locked entry (`name`, `arch`, and .debs that must hold libc6 and
libc6-dev of one glibc) becomes `@glibc_sysroots//:<name>_<arch>`, a
`glibc_sysroot` target, and a gcc toolchain over it,
`@glibc_sysroots//:<name>_<arch>_toolchain`, for platforms with the
constraint `@rules_actiond//platforms/glibc:<version>` (such as
`@rules_actiond//platforms:linux_x86_64_glibc2_31`). The toolchain uses this
machine's gcc (`gcc` for the machine's own arch, `aarch64-linux-gnu-gcc` for
aarch64), found when the repository is made.

```starlark
glibc.sysroot(file = "@rules_actiond//runtimes/lock:sysroot.lock.json")
use_repo(glibc, "glibc_sysroots")
register_toolchains("@glibc_sysroots//:all")
```""",
    attrs = {
        "file": attr.label(mandatory = True, doc = "The lock file (JSON), as `glibc_lock` writes it."),
    },
)

def _is_sha256(s):
    return len(s) == 64 and all([c in "0123456789abcdef" for c in s.elems()])

def collect_runtimes(modules, read_lock, is_dev_dependency = lambda tag: False):
    """Validates the tags of all modules and merges them.

    The root module's runtimes override other modules' runtimes of the same
    name and arch. Two other modules declaring the same runtime is an error
    (the root module can settle it by declaring it); within one module a
    runtime is declared once.

    Args:
      modules: `module_ctx.modules`.
      read_lock: a function from a lock file's label to its decoded JSON.
      is_dev_dependency: `module_ctx.is_dev_dependency`.

    Returns:
      A dict "<name>_<arch>" -> struct(name, arch, strip, dev, debs = [struct(filename, urls, sha256)]);
      `dev` when the tag that declares the runtime is a dev dependency.
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
            own[key] = struct(name = tag.name, arch = tag.arch, strip = strip, dev = is_dev_dependency(tag), debs = [])
        for tag in mod.tags.lock:
            for rt in read_lock(tag.file).get("runtimes", []):
                what = "{}: glibc.lock {}: runtime {} {}".format(where, tag.file, rt.get("name"), rt.get("arch"))
                if validate_libc(rt.get("name", "")) or rt.get("arch") not in ARCHES or not rt.get("debs"):
                    fail("{}: needs a glibc<major>.<minor> name, an arch of {} and debs".format(what, ", ".join(sorted(ARCHES))))
                key = "{}_{}".format(rt["name"], rt["arch"])
                if key not in own:
                    own[key] = struct(name = rt["name"], arch = rt["arch"], strip = DEFAULT_STRIP + GCONV_STRIP, dev = is_dev_dependency(tag), debs = [])
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

_RUNTIMES_BZL = """\
# The runtimes of @glibc_runtimes, "<name>_<arch>" -> name, arch, version,
# and dev: whether only dev_dependency tags (a module's tests) declare it.
# rules_actiond's //runtimes and //platforms make targets from the others.

RUNTIMES = {}
"""

def _hub_impl(rctx):
    runtimes = json.decode(rctx.attr.runtimes)
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    for key, runtime in sorted(runtimes.items()):
        for suffix, target in [("", "runtime"), ("_manifest", "manifest")]:
            lines.append("alias(\n    name = {},\n    actual = {},\n)\n".format(
                repr(key + suffix),
                repr("@{}//:{}".format(runtime["repository"], target)),
            ))
    rctx.file("BUILD.bazel", "\n".join(lines))
    described = {
        key: {
            "arch": runtime["arch"],
            "dev": runtime["dev"],
            "name": runtime["name"],
            "version": runtime["name"].removeprefix("glibc"),
        }
        for key, runtime in sorted(runtimes.items())
    }
    rctx.file("runtimes.bzl", _RUNTIMES_BZL.format(repr(described)))

_hub = repository_rule(
    implementation = _hub_impl,
    attrs = {
        "runtimes": attr.string(
            doc = "JSON: \"<name>_<arch>\" -> its repository, name, arch, and dev (whether only dev_dependency tags declare it).",
            mandatory = True,
        ),
    },
)

# gcc for one sysroot: a link that fails on an undefined symbol says which
# glibc the target is linked against.
_GCC_WRAPPER = """#!/bin/bash
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
{gcc} "$@" 2>"$log"
status=$?
cat "$log" >&2
if [[ $status -ne 0 ]]; then
  grep -o "undefined reference to \\`[^']*'" "$log" | sed "s/.*\\`//; s/'$//" | sort -u | while read -r sym; do
    echo "rules_actiond: $sym is undefined in glibc {version}, the glibc of the sysroot {key} that this target links against; if glibc has it, it is newer: build the target for a platform of a newer glibc" >&2
  done
fi
exit $status
"""

_SYSROOT_TOOLCHAIN = """
glibc_sysroot_toolchain(
    name = {name},
    arch = {arch},
    gcc_wrapper = {wrapper},
    builtin_include_directories = {include_dirs},
    gcc_version = {gcc_version},
    glibc_version = {version},
    sysroot = {sysroot},
    tool_paths = {tool_paths},
)
"""

def _sysroot_hub_impl(rctx):
    lines = [
        'load("@rules_actiond//rules/private:glibc_sysroot.bzl", "glibc_sysroot_toolchain")',
        "",
        'package(default_visibility = ["//visibility:public"])',
        "",
    ]
    for key, repo in sorted(rctx.attr.sysroots.items()):
        arch = [a for a in ARCHES if key.endswith("_" + a)][0]
        name = key[:-len(arch) - 1]
        sysroot = "@{}//:sysroot".format(repo)
        lines.append("alias(\n    name = {},\n    actual = {},\n)\n".format(repr(key), repr(sysroot)))
        prefix = "/usr/bin/" if arch == "x86_64" else "/usr/bin/aarch64-linux-gnu-"
        tool_paths = gcc_tool_paths(prefix)
        if not rctx.path(tool_paths["gcc"]).exists:
            lines.append("# No toolchain for {}: {} is not on this machine.\n".format(key, tool_paths["gcc"]))
            continue
        version = name.removeprefix("glibc")
        wrapper = "gcc_{}.sh".format(key)
        rctx.file(wrapper, _GCC_WRAPPER.format(gcc = tool_paths["gcc"], version = version, key = key), executable = True)
        tool_paths["gcc"] = wrapper
        lines.append(_SYSROOT_TOOLCHAIN.format(
            name = repr(key + "_toolchain"),
            arch = repr(arch),
            wrapper = repr(wrapper),
            include_dirs = repr([d for d in gcc_include_dirs(rctx, prefix + "gcc", "glibc_sysroots") if "/lib/gcc" in d]),
            gcc_version = repr(rctx.attr.gcc_versions[key]),
            version = repr(version),
            sysroot = repr(":" + key),
            tool_paths = repr(tool_paths),
        ))
    rctx.file("BUILD.bazel", "\n".join(lines))

_sysroot_hub = repository_rule(
    implementation = _sysroot_hub_impl,
    attrs = {
        "gcc_versions": attr.string_dict(doc = "Sysroot -> the N of its libstdc++-N-dev."),
        "sysroots": attr.string_dict(),
    },
)

def _sysroots(module_ctx):
    """The locked sysroots of every module's `sysroot` tags; the root module's first."""
    found = {}
    for mod in sorted(module_ctx.modules, key = lambda m: 0 if m.is_root else 1):
        for tag in mod.tags.sysroot:
            for entry in json.decode(module_ctx.read(tag.file)).get("runtimes", []):
                what = "module {}: glibc.sysroot {}: {} {}".format(mod.name, tag.file, entry.get("name"), entry.get("arch"))
                if validate_libc(entry.get("name", "")) or entry.get("arch") not in ARCHES or not entry.get("debs"):
                    fail("{}: needs a glibc<major>.<minor> name, an arch of {} and debs".format(what, ", ".join(sorted(ARCHES))))
                for deb in entry["debs"]:
                    if not _is_sha256(deb.get("sha256", "")) or not deb.get("urls") or not deb.get("filename"):
                        fail("{}: every deb needs filename, urls and a sha256".format(what))
                versions = {d.get("package"): d.get("version", "") for d in entry["debs"]}
                missing = [p for p in ["libc6", "libc6-dev"] if p not in versions]
                if missing:
                    fail("{}: its .debs lack {}: a sysroot needs libc6 and libc6-dev (crt files, headers, libc.so)".format(what, " and ".join(missing)))
                if versions["libc6"] != versions["libc6-dev"]:
                    fail("{}: libc6 is {} but libc6-dev is {}: headers and libraries must be of one glibc".format(what, versions["libc6"], versions["libc6-dev"]))
                found.setdefault("{}_{}".format(entry["name"], entry["arch"]), entry)
    return found

def _glibc_impl(module_ctx):
    runtimes = collect_runtimes(
        module_ctx.modules,
        lambda label: json.decode(module_ctx.read(label)),
        module_ctx.is_dev_dependency,
    )
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
        hub[key] = {"arch": runtime.arch, "dev": runtime.dev, "name": runtime.name, "repository": repo}
    _hub(name = "glibc_runtimes", runtimes = json.encode(hub))

    sysroots = {}
    gcc_versions = {}
    for key, entry in _sysroots(module_ctx).items():
        dev = [d["package"] for d in entry["debs"] if d["package"].startswith("libstdc++-") and d["package"].endswith("-dev")]
        gcc_versions[key] = dev[0].removeprefix("libstdc++-").removesuffix("-dev") if dev else ""
        repo = "glibc_sysroot_" + key
        glibc_deb_runtime(
            name = repo,
            kind = "sysroot",
            runtime_name = entry["name"],
            arch = entry["arch"],
            deb_order = [d["filename"] for d in entry["debs"]],
            deb_urls = {d["filename"]: d["urls"] for d in entry["debs"]},
            deb_sha256 = {d["filename"]: d["sha256"] for d in entry["debs"]},
            strip = SYSROOT_STRIP,
        )
        sysroots[key] = repo
    if sysroots:
        _sysroot_hub(name = "glibc_sysroots", sysroots = sysroots, gcc_versions = gcc_versions)

    # Reproducible (no lock-file entry needed) when every .deb is pinned by
    # sha256; `bazel mod tidy` keeps the root module's use_repo to the hub.
    pinned = all([d.sha256 for r in runtimes.values() for d in r.debs])
    root_dev = [module_ctx.is_dev_dependency(t) for m in module_ctx.modules if m.is_root for t in m.tags.runtime + m.tags.deb + m.tags.lock]
    dev = bool(root_dev) and all(root_dev)
    root_sysroot_tags = [t for m in module_ctx.modules if m.is_root for t in m.tags.sysroot]
    sysroot_dev = [module_ctx.is_dev_dependency(t) for t in root_sysroot_tags]
    sysroot_hub = ["glibc_sysroots"] if root_sysroot_tags and sysroots else []
    return module_ctx.extension_metadata(
        reproducible = pinned,
        root_module_direct_deps = ([] if dev else ["glibc_runtimes"]) + ([] if all(sysroot_dev) else sysroot_hub),
        root_module_direct_dev_deps = (["glibc_runtimes"] if dev else []) + (sysroot_hub if all(sysroot_dev) else []),
    )

glibc = module_extension(
    implementation = _glibc_impl,
    tag_classes = {"runtime": _runtime, "deb": _deb, "lock": _lock, "sysroot": _sysroot},
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
