"""Public API: module extensions.

`glibc`: glibc runtimes from pinned .debs; see its tag classes `runtime` and `deb`.
"""

load("//rules/private:glibc_extension.bzl", _glibc = "glibc")

glibc = _glibc
