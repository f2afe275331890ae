"""`glibc_lock`: regenerate and check a runtime lock file from Packages indexes."""

def _request(ctx):
    """Writes the lock request, with index paths relative to the runfiles root."""
    by_label = {str(t.label): t.files.to_list() for t in ctx.attr.indexes}
    runtimes = []
    for rt in json.decode(ctx.attr.runtimes_json):
        files = by_label.get(rt["index"])
        if not files or len(files) != 1:
            fail("glibc_lock {}: index {} must be one file".format(ctx.label, rt["index"]))
        runtimes.append(dict(rt, index = files[0].short_path))
    request = ctx.actions.declare_file(ctx.label.name + ".request.json")
    ctx.actions.write(request, json.encode_indent({"runtimes": runtimes}, indent = "  ") + "\n")
    return request

def _script(ctx, request, mode_args):
    tool = ctx.executable._tool
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, """#!/usr/bin/env bash
set -euo pipefail
exec {tool} lock --request {request} {mode}
""".format(tool = tool.short_path, request = request.short_path, mode = mode_args), is_executable = True)
    runfiles = ctx.runfiles(files = [tool, request, ctx.file.lock] + [f for t in ctx.attr.indexes for f in t.files.to_list()])
    runfiles = runfiles.merge(ctx.attr._tool[DefaultInfo].default_runfiles)
    return DefaultInfo(executable = script, runfiles = runfiles)

def _glibc_lock_update_impl(ctx):
    request = _request(ctx)
    target = "\"${{BUILD_WORKSPACE_DIRECTORY:?run me with bazel run}}/{}\"".format(ctx.file.lock.short_path)
    return [_script(ctx, request, "--out " + target)]

def _glibc_lock_test_impl(ctx):
    request = _request(ctx)
    return [_script(ctx, request, "--check " + ctx.file.lock.short_path)]

_ATTRS = {
    "indexes": attr.label_list(allow_files = True, mandatory = True),
    "lock": attr.label(allow_single_file = [".json"], mandatory = True),
    "runtimes_json": attr.string(mandatory = True),
    "_tool": attr.label(default = Label("//tools/cli:actiond_tool"), executable = True, cfg = "target"),
}

glibc_lock_update = rule(
    implementation = _glibc_lock_update_impl,
    attrs = _ATTRS,
    executable = True,
    doc = "`bazel run` target that rewrites the lock file in the source tree.",
)

glibc_lock_test = rule(
    implementation = _glibc_lock_test_impl,
    attrs = _ATTRS,
    test = True,
    doc = "Fails unless the lock file equals what its indexes give.",
)

def glibc_lock(name, lock, runtimes, **kwargs):
    """A lock file of glibc runtimes, resolved from Packages indexes.

    Creates `<name>` (`bazel run` it to rewrite `lock`) and `<name>_test`
    (fails when `lock` is out of date with the indexes).

    Example:

    ```starlark
    load("@rules_actiond//rules:lock.bzl", "glibc_lock")

    glibc_lock(
        name = "lock",
        lock = "glibc.lock.json",
        runtimes = [{
            "name": "glibc2.35",
            "arch": "x86_64",
            "index": "@ubuntu_jammy_main_amd64//file",
            "packages": ["libc6", "libgcc-s1", "libstdc++6", "zlib1g"],
            "urls": ["https://archive.ubuntu.com/ubuntu/{filename}"],
        }],
    )
    ```

    The extension reads the lock with `glibc.lock(file = "//:glibc.lock.json")`.

    Args:
      name: the `bazel run` target; `<name>_test` checks the lock.
      lock: the lock file (JSON), in this package.
      runtimes: dicts with `name`, `arch`, `index` (the label of a Packages
        index, plain or compressed), `packages` (unpacked in order) and `urls`
        (templates with `{filename}`, the index's path, or `{basename}`; or
        `apt:{package}:<arch>={version}`, fetched by the machine's apt).
      **kwargs: common attributes (tags, visibility) for both targets.
    """
    runtimes = [dict(rt, index = str(native.package_relative_label(rt["index"]))) for rt in runtimes]
    indexes = sorted({rt["index"]: None for rt in runtimes}.keys())
    glibc_lock_update(name = name, lock = lock, indexes = indexes, runtimes_json = json.encode(runtimes), **kwargs)
    glibc_lock_test(name = name + "_test", lock = lock, indexes = indexes, runtimes_json = json.encode(runtimes), **kwargs)
