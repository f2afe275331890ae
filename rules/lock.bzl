"""Public API: `glibc_lock`, a lock file of runtimes resolved from Packages indexes."""

load("//rules/private:glibc_lock.bzl", _glibc_lock = "glibc_lock")

glibc_lock = _glibc_lock
