"""Public API: platforms that select a glibc runtime through the `libc` exec property."""

load(
    "//rules/private:libc_platform.bzl",
    _LIBC_EXEC_PROPERTY = "LIBC_EXEC_PROPERTY",
    _libc_exec_properties = "libc_exec_properties",
    _libc_platform = "libc_platform",
)

LIBC_EXEC_PROPERTY = _LIBC_EXEC_PROPERTY
libc_exec_properties = _libc_exec_properties
libc_platform = _libc_platform
