#!/usr/bin/env bash
# squashfs_image and runtime_squashfs: what unsquashfs lists in the images.
set -euo pipefail
everything=$1 runtimes=$2 xz=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
# has IMAGE PATTERN: some line of `unsquashfs -lln IMAGE` matches PATTERN.
has() { grep -qE "$2" <<<"$(unsquashfs -lln "$1")" || fail "$1 has no line matching: $2"; }
# kind mode uid/gid size date path [-> target]
has "${everything}" '^-rwxr-x--- 0/0 .* squashfs-root/bin/tool$'
has "${everything}" '^lrwxrwxrwx 0/0 .* squashfs-root/bin/link -> tool$'
has "${everything}" '^lrwxrwxrwx 0/0 .* squashfs-root/abs -> /etc/a.txt$'
has "${everything}" '^-rw-r--r-- 0/0 +10 .* squashfs-root/etc/a.txt$'
has "${everything}" '^drwxr-xr-x 0/0 .* squashfs-root/empty$'
has "${everything}" '^-rw-r--r-- 0/0 .* squashfs-root/fromtar/etc/from_tar$'
has "${everything}" '^-rw-r--r-- 0/0 .* squashfs-root/copied/sub/b.txt$'
has "${everything}" '^-rw-r--r-- 0/0 .* squashfs-root/deb/usr/lib/x86_64-linux-gnu/libz.so.1$'
if unsquashfs -lln "${everything}" | grep -q 'squashfs-root/deb/usr/share'; then fail "strip kept usr/share"; fi
unsquashfs -s "${everything}" | grep -q '^Compression gzip$' || fail "not gzip"
errors=$(unsquashfs -s "${everything}" 2>&1 >/dev/null)
[[ -z ${errors} ]] || fail "unsquashfs reads the superblock with errors: ${errors}"
unsquashfs -lln "${everything}" | awk '$2 != "0/0" { exit 1 }' || fail "an entry is not owned by 0/0"

has "${runtimes}" '^-rw-r--r-- 0/0 +10 .* squashfs-root/common/root/etc/hosts$'
has "${runtimes}" 'squashfs-root/common/root/etc/nsswitch.conf$'
has "${runtimes}" 'squashfs-root/libc/glibc8.1/x86_64/runtime_manifest.json$'
has "${runtimes}" 'squashfs-root/libc/glibc8.2/x86_64/root/lib -> usr/lib$'
unsquashfs -s "${runtimes}" | grep -q '^Compression zstd$' || fail "not zstd"
# Every inode, the root's included, has `mtime`.
unsquashfs -lln "${runtimes}" | awk '$4 " " $5 != "1970-01-01 00:20" { exit 1 }' \
  || fail "an entry's mtime is not 1234 s ($(unsquashfs -lln "${runtimes}" | head -n 3))"
unsquashfs -s "${xz}" | grep -q '^Compression xz$' || fail "not xz"
has "${xz}" '^-rw-r--r-- 0/0 +10 .* squashfs-root/etc/a.txt$'
has "${xz}" '^-rw-r--r-- 0/0 .* squashfs-root/deb/usr/lib/x86_64-linux-gnu/libz.so.1'
echo PASS
