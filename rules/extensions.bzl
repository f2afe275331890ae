"""Public API: module extensions.

`glibc`: glibc runtimes from pinned .debs; see its tag classes `runtime` and `deb`.
`actiond_tool`: the prebuilt actiond-tool of a release, as toolchains
(rules_actiond's own MODULE.bazel uses it; you need not).
"""

load("//rules/private:glibc_extension.bzl", _glibc = "glibc")
load("//rules/private:prebuilt_actiond_tool.bzl", _actiond_tool = "actiond_tool_extension")

actiond_tool = _actiond_tool
glibc = _glibc
