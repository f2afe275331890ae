"""`cargo_fetch`: Cargo downloads the crates of a Cargo.lock into this repository.

`crate_archive` falls back to it when Cargo's own cache lacks a crate, so a
machine with an empty `CARGO_HOME` needs no manual `cargo fetch`. Cargo knows
its default registry, so no registry host is written into this repository;
a `config.toml` of the caller's `CARGO_HOME` (source replacement, mirrors,
proxies) is copied in and applies. Nothing is written outside this
repository: Cargo's home for the fetch is `cargo_home/` inside it.
"""

def _cargo_home(rctx):
    env = rctx.os.environ
    return env.get("CARGO_HOME") or env.get("HOME", "") + "/.cargo"

def _cargo_fetch_impl(rctx):
    manifest = rctx.path(rctx.attr.manifest)
    rctx.path(rctx.attr.lockfile)  # watched: a new Cargo.lock fetches again
    cargo = rctx.which("cargo")
    if not cargo:
        fail(("rules_actiond: the crates of {} are not in Cargo's cache, and no `cargo` is on PATH " +
              "to fetch them. Either install Cargo (rustup or your distribution's package) and " +
              "build again, or use a release of rules_actiond, whose prebuilt actiond-tool needs " +
              "no crates (see the README, \"Use it from your module\").").format(manifest))
    home = rctx.path("cargo_home")
    for name in ["config.toml", "config"]:
        user_config = rctx.path(_cargo_home(rctx) + "/" + name)
        if user_config.exists:
            rctx.file("cargo_home/" + name, rctx.read(user_config), executable = False)
    result = rctx.execute(
        [cargo, "fetch", "--locked", "--manifest-path", manifest],
        environment = {"CARGO_HOME": str(home), "CARGO_TARGET_DIR": str(rctx.path("target"))},
        timeout = 1800,
        quiet = True,
    )
    if result.return_code != 0:
        fail("rules_actiond: `cargo fetch --locked --manifest-path {}` failed ({}):\n{}{}".format(
            manifest,
            result.return_code,
            result.stdout,
            result.stderr,
        ))
    rctx.file("BUILD.bazel", "exports_files([\"cargo_home\"])\n", executable = False)

cargo_fetch = repository_rule(
    implementation = _cargo_fetch_impl,
    attrs = {
        "lockfile": attr.label(mandatory = True, allow_single_file = True, doc = "The Cargo.lock; a change refetches."),
        "manifest": attr.label(mandatory = True, allow_single_file = True, doc = "The workspace's Cargo.toml."),
    },
    environ = ["CARGO_HOME", "HOME", "PATH"],
    doc = "Runs `cargo fetch --locked` on `manifest` with a Cargo home inside this repository.",
)
