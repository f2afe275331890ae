"""Public API: repository rules, for `use_repo_rule` in MODULE.bazel.

`deb_archive`: the files of one pinned .deb.
"""

load("//rules/private:deb.bzl", _deb_archive = "deb_archive")

deb_archive = _deb_archive
