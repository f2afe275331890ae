"""The public .bzl files of rules_actiond: one bzl_library each (rules/BUILD.bazel) and one API page each (docs/)."""

# Besides providers.bzl, which every other one loads.
PUBLIC_MODULES = [
    "compat",
    "extensions",
    "lock",
    "platforms",
    "repositories",
    "squashfs",
    "standalone",
    "stress",
    "toolchains",
    "vm",
    "zstd",
]
