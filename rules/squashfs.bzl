"""Public API: SquashFS images.

- `sqfs_image`: a generic image of files, directories, symlinks, tars and .debs.
- `runtime_squashfs`: the runtimes image (`common/` plus `libc/<name>/<arch>/`).
"""

load(
    "//rules/private:sqfs.bzl",
    _runtime_squashfs = "runtime_squashfs",
    _sqfs_image = "sqfs_image",
)

runtime_squashfs = _runtime_squashfs
sqfs_image = _sqfs_image
