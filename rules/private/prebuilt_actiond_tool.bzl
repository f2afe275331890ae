"""The prebuilt actiond-tool: its versions file, one repository per platform, and the toolchains hub.

The versions file (`actiond_tool_versions.json` beside this file) is written
by `.bcr/release_prep.sh` into each release:

```json
{
  "version": "1.2.3",
  "binaries": {
    "linux_x86_64": {"sha256": "<64 hex digits>", "urls": ["https://.../actiond-tool-linux-x86_64"]},
    "linux_aarch64": {"sha256": "...", "urls": ["..."]}
  }
}
```

In a source checkout `binaries` is empty, so the tool builds from source.
"""

# Platform key -> the exec constraints a prebuilt of it runs on.
PLATFORMS = {
    "linux_aarch64": ["@platforms//os:linux", "@platforms//cpu:aarch64"],
    "linux_x86_64": ["@platforms//os:linux", "@platforms//cpu:x86_64"],
}

def _is_sha256(text):
    return len(text) == 64 and all([c in "0123456789abcdef" for c in text.elems()])

def parse_versions(path, text):
    """Parses and checks a versions file.

    Args:
      path: the file's path, for error messages.
      text: its content.

    Returns:
      A dict: platform key -> struct(sha256, urls).
    """

    def bad(key, what):
        fail("rules_actiond: {}: `{}` {}".format(path, key, what))

    data = json.decode(text, default = None)
    if data == None:
        bad("(top level)", "is not valid JSON")
    if type(data) != "dict":
        bad("(top level)", "must be a JSON object with keys `version` and `binaries`")
    for key in data:
        if key not in ["version", "binaries"]:
            bad(key, "is not a known key (expected `version` and `binaries`)")
    if type(data.get("version")) != "string":
        bad("version", "must be a string")
    binaries = data.get("binaries")
    if type(binaries) != "dict":
        bad("binaries", "must be an object of platform -> {sha256, urls}")
    result = {}
    for platform, entry in binaries.items():
        key = "binaries." + platform
        if platform not in PLATFORMS:
            bad(key, "is not a known platform (expected one of {})".format(", ".join(sorted(PLATFORMS))))
        if type(entry) != "dict" or sorted(entry.keys()) != ["sha256", "urls"]:
            bad(key, "must be an object with exactly the keys `sha256` and `urls`")
        if type(entry["sha256"]) != "string" or not _is_sha256(entry["sha256"]):
            bad(key + ".sha256", "must be 64 lowercase hex digits, not {}".format(json.encode(entry["sha256"])))
        urls = entry["urls"]
        if type(urls) != "list" or not urls or any([type(u) != "string" or not u for u in urls]):
            bad(key + ".urls", "must be a non-empty list of URLs")
        result[platform] = struct(sha256 = entry["sha256"], urls = urls)
    return result

def _prebuilt_actiond_tool_impl(rctx):
    rctx.download(
        url = rctx.attr.urls,
        output = "actiond-tool",
        sha256 = rctx.attr.sha256,
        executable = True,
        canonical_id = "actiond-tool:" + rctx.attr.sha256,
    )
    rctx.file("BUILD.bazel", """\
load("@rules_actiond//rules/private:actiond_tool_toolchain.bzl", "actiond_tool_toolchain")

actiond_tool_toolchain(
    name = "toolchain",
    tool = "actiond-tool",
    visibility = ["//visibility:public"],
)
""")

prebuilt_actiond_tool = repository_rule(
    implementation = _prebuilt_actiond_tool_impl,
    attrs = {
        "sha256": attr.string(mandatory = True),
        "urls": attr.string_list(mandatory = True),
    },
    doc = "Downloads one prebuilt actiond-tool through Bazel's downloader, verified by sha256.",
)

def _actiond_tool_toolchains_impl(rctx):
    lines = []
    for platform in rctx.attr.platforms:
        lines.append("""\
toolchain(
    name = "{platform}",
    exec_compatible_with = {constraints},
    target_settings = ["@rules_actiond//rules:prebuilt_actiond_tool"],
    toolchain = "@{repo}//:toolchain",
    toolchain_type = "@rules_actiond//rules:actiond_tool_toolchain_type",
)
""".format(
            platform = platform,
            constraints = json.encode(PLATFORMS[platform]),
            repo = rctx.attr.platforms[platform],
        ))
    rctx.file("BUILD.bazel", "# The prebuilt actiond-tool toolchains, one per platform.\n\n" + "\n".join(lines))
    rctx.file("defs.bzl", "PREBUILT_PLATFORMS = {}\n".format(json.encode(sorted(rctx.attr.platforms))))

actiond_tool_toolchains = repository_rule(
    implementation = _actiond_tool_toolchains_impl,
    attrs = {"platforms": attr.string_dict(doc = "Platform key -> its prebuilt repository.")},
    doc = "The hub: a `toolchain` per prebuilt platform, and `defs.bzl` listing them.",
)

def _actiond_tool_impl(module_ctx):
    path = module_ctx.path(Label(":actiond_tool_versions.json"))
    platforms = {}
    for platform, prebuilt in sorted(parse_versions(path, module_ctx.read(path)).items()):
        repo = "actiond_tool_" + platform
        prebuilt_actiond_tool(name = repo, sha256 = prebuilt.sha256, urls = prebuilt.urls)
        platforms[platform] = repo
    actiond_tool_toolchains(name = "actiond_tool_toolchains", platforms = platforms)
    return module_ctx.extension_metadata(reproducible = True)

actiond_tool_extension = module_extension(
    implementation = _actiond_tool_impl,
    doc = """The prebuilt actiond-tool of this release, as toolchains.

Creates `@actiond_tool_toolchains` (register `@actiond_tool_toolchains//:all`,
as rules_actiond's MODULE.bazel does) and one repository per platform that
downloads its binary by sha256 through Bazel's downloader, so downloader
configs and mirrors apply. Only the platform that toolchain resolution picks
is downloaded. A source checkout has no prebuilts: the tool builds from
source (`@rules_actiond//tools/cli:from_source_toolchain`).""",
)
