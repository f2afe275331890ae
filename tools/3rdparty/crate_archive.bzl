"""A repository rule for one crate archive, pinned by sha256.

Generated `crates/defs.bzl` calls it instead of `http_archive`, so that no
registry host is written into this repository. The archive is looked up, in
order, in:

1. Cargo's own download cache (`$CARGO_HOME/registry/cache/*/<crate>-<version>.crate`),
   as `file://` URLs: `cargo fetch` on `tools/Cargo.lock` fills it;
2. `$RULES_ACTIOND_CRATES_DL`, a registry download root with Cargo's `dl`
   semantics (`{crate}`, `{version}` markers, or `/{crate}/{version}/download`
   appended);
3. the `dl` of every registry index Cargo has used on this machine
   (`$CARGO_HOME/registry/index/*/config.json`);
4. when none of those exist, `@crates_cargo_fetch`, where Cargo itself
   downloads every crate of `tools/Cargo.lock` once (`cargo_fetch.bzl`).

Every candidate is verified against the sha256, so the order only affects speed.
Bazel's repository cache is consulted first, and Bazel's downloader config can
rewrite the remote URLs to a mirror.
"""

def _expand_dl(dl, crate, version):
    if not any([m in dl for m in ["{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"]]):
        return "{}/{}/{}/download".format(dl.rstrip("/"), crate, version)
    return dl.replace("{crate}", crate).replace("{version}", version)

def _cargo_home(rctx):
    env = rctx.os.environ
    if env.get("CARGO_HOME"):
        return env["CARGO_HOME"]
    return env.get("HOME", "") + "/.cargo"

def _subdirs(rctx, path):
    # Not watched: the archive is checked by its sha256, whichever cache or
    # mirror gave it, and a watched directory that disappears (a temporary
    # CARGO_HOME) would fail the next build instead of fetching again.
    p = rctx.path(path)
    if not p.exists:
        return []
    return sorted([c for c in p.readdir(watch = "no")], key = lambda c: str(c))

def _cached_urls(rctx, cargo_home, basename):
    urls = []
    for cache in _subdirs(rctx, cargo_home + "/registry/cache"):
        archive = cache.get_child(basename + ".crate")
        if archive.exists:
            urls.append("file://" + str(archive))
    return urls

def _crate_archive_impl(rctx):
    crate = rctx.attr.crate
    version = rctx.attr.version
    basename = "{}-{}".format(crate, version)
    cargo_home = _cargo_home(rctx)

    urls = _cached_urls(rctx, cargo_home, basename)
    dl = rctx.os.environ.get("RULES_ACTIOND_CRATES_DL", "")
    if dl:
        urls.append(_expand_dl(dl, crate, version))
    for index in _subdirs(rctx, cargo_home + "/registry/index"):
        config = index.get_child("config.json")
        if config.exists:
            index_dl = json.decode(rctx.read(config, watch = "no")).get("dl", "")
            if index_dl:
                urls.append(_expand_dl(index_dl, crate, version))

    if not urls:
        fetched = rctx.path(Label("@crates_cargo_fetch//:BUILD.bazel")).dirname
        urls = _cached_urls(rctx, str(fetched.get_child("cargo_home")), basename)
    if not urls:
        fail("crate {} {} (sha256 {}): `cargo fetch` on tools/Cargo.lock did not download it".format(
            crate,
            version,
            rctx.attr.sha256,
        ))
    rctx.download_and_extract(
        url = urls,
        sha256 = rctx.attr.sha256,
        type = "tar.gz",
        stripPrefix = basename,
        canonical_id = "crate:{}:{}".format(basename, rctx.attr.sha256),
    )
    rctx.symlink(rctx.attr.build_file, "BUILD.bazel")

crate_archive = repository_rule(
    implementation = _crate_archive_impl,
    attrs = {
        "build_file": attr.label(mandatory = True, allow_single_file = True),
        "crate": attr.string(mandatory = True),
        "sha256": attr.string(mandatory = True),
        "strip_prefix": attr.string(doc = "Unused: always `<crate>-<version>`; kept for the generated call sites."),
        "version": attr.string(mandatory = True),
    },
    environ = ["CARGO_HOME", "HOME", "RULES_ACTIOND_CRATES_DL"],
    doc = "Fetches one crate archive by sha256; see the module docstring for where it looks.",
)
