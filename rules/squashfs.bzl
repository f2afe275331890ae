"""Public API: SquashFS images.

- `squashfs_image`: a generic image of files, directories, symlinks, tars and .debs.
- `runtime_squashfs`: the runtimes image (`common/` plus `libc/<name>/<arch>/`).
"""

load(
    "//rules/private:squashfs.bzl",
    _runtime_squashfs = "runtime_squashfs",
    _squashfs_image = "squashfs_image",
)

runtime_squashfs = _runtime_squashfs
squashfs_image = _squashfs_image
