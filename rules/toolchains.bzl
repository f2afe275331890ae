"""Public API: the actiond-tool toolchain.

Every rule of rules_actiond that runs actiond-tool in an action resolves it
through the toolchain type `@rules_actiond//rules:actiond_tool_toolchain_type`.
A release registers its prebuilt binaries (linux x86_64 and aarch64,
linked against glibc 2.31: they start on glibc 2.31 and later) and falls back to building the tool from source
for other execution platforms; `--@rules_actiond//rules:actiond_tool_from_source`
always builds it from source.
"""

load("//rules/private:actiond_tool_toolchain.bzl", _actiond_tool_toolchain = "actiond_tool_toolchain")

actiond_tool_toolchain = _actiond_tool_toolchain
