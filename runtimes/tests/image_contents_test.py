#!/usr/bin/env python3
"""An image holds exactly what its spec asks for, checked with other tools.

Usage: image_contents_test.py TOOL IMAGE SPEC

The expected tree is rebuilt independently of squashfs_pack: `dpkg-deb -x` for
each .deb (then the strip patterns are removed), plain copies for files and
`ln -s` for symlinks. It must equal `unsquashfs -d` of the image, and the
`unsquashfs -lls` listing must give every entry's mode, owner (root/root),
size and symlink target as the expected tree has them. Every runtime's
manifest must then pass `actiond-tool check manifest --tree --packages` on
the image's own tree, where absolute symlinks are kept verbatim.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile


def source_path(path):
    """Spec paths are relative to the execroot; map them into the runfiles."""
    path = re.sub(r"^bazel-out/[^/]+/bin/", "", path)
    if path.startswith("external/"):
        return os.path.join("..", path[len("external/"):])
    return path


def stripped(rel, patterns):
    parts = rel.split("/")
    for pattern in patterns:
        pat = pattern.split("/")
        if len(pat) <= len(parts) and all(p == "*" or p == c for p, c in zip(pat, parts)):
            return True
    return False


def build_expected(spec, root):
    os.makedirs(root)
    for entry in spec["entries"]:
        kind = entry["type"]
        if kind == "dir":
            os.makedirs(os.path.join(root, entry["path"]), exist_ok=True)
            os.chmod(os.path.join(root, entry["path"]), entry["mode"])
        elif kind == "file":
            dest = os.path.join(root, entry["path"])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(source_path(entry["source"]), dest)
            os.chmod(dest, entry["mode"])
        elif kind == "symlink":
            dest = os.path.join(root, entry["path"])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            os.symlink(entry["target"], dest)
        elif kind == "additions":
            with open(source_path(entry["source"])) as f:
                additions = json.load(f)
            for path, target in additions["symlinks"].items():
                dest = os.path.join(root, entry["prefix"], path)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                os.symlink(target, dest)
            for path in additions["empty_files"]:
                dest = os.path.join(root, entry["prefix"], path)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "x"):
                    pass
                os.chmod(dest, 0o644)
        elif kind == "deb":
            prefix = os.path.join(root, entry["prefix"])
            scratch = tempfile.mkdtemp(dir=os.path.dirname(root))
            subprocess.run(["dpkg-deb", "-x", source_path(entry["source"]), scratch], check=True)
            for dirpath, dirnames, filenames in os.walk(scratch, topdown=True):
                rel_dir = os.path.relpath(dirpath, scratch)
                for name in sorted(dirnames + filenames):
                    src = os.path.join(dirpath, name)
                    rel = os.path.normpath(os.path.join(rel_dir, name))
                    dest = os.path.join(prefix, rel)
                    if stripped(rel, entry["strip"]):
                        if name in dirnames:
                            dirnames.remove(name)
                        continue
                    st = os.lstat(src)
                    if stat.S_ISDIR(st.st_mode):
                        os.makedirs(dest, exist_ok=True)
                        os.chmod(dest, stat.S_IMODE(st.st_mode))
                    elif stat.S_ISLNK(st.st_mode):
                        os.makedirs(os.path.dirname(dest), exist_ok=True)
                        os.symlink(os.readlink(src), dest)
                    else:
                        os.makedirs(os.path.dirname(dest), exist_ok=True)
                        shutil.copyfile(src, dest)
                        os.chmod(dest, stat.S_IMODE(st.st_mode))
            shutil.rmtree(scratch)
        else:
            raise SystemExit(f"FAIL: this test does not know spec entries of type {kind}")


def listing(root):
    """(mode string, path, size or link target) of every entry below root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            if stat.S_ISLNK(st.st_mode):
                detail = "-> " + os.readlink(path)
            elif stat.S_ISDIR(st.st_mode):
                detail = ""
            else:
                detail = str(st.st_size)
            out[rel] = (stat.filemode(st.st_mode), detail)
    return out


def unsquashfs_listing(image):
    """The same from `unsquashfs -lls`, with owners checked."""
    text = subprocess.run(["unsquashfs", "-lls", "-d", "", image], check=True, capture_output=True, text=True).stdout
    out = {}
    line_re = re.compile(r"^(\S{10}) (\S+)/(\S+)\s+(\d+) \S+ \S+ (.*)$")
    for line in text.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        mode, user, group, size, rest = m.groups()
        if (user, group) != ("root", "root"):
            raise SystemExit(f"FAIL: {rest} is owned by {user}/{group}, not root/root")
        path, _, target = rest.partition(" -> ")
        path = path.lstrip("/")
        if not path:
            continue
        detail = "-> " + target if mode.startswith("l") else ("" if mode.startswith("d") else size)
        out[path] = (mode, detail)
    return out


def main():
    tool, image, spec_path = (os.path.abspath(a) for a in sys.argv[1:4])
    with open(spec_path) as f:
        spec = json.load(f)
    work = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    expected = os.path.join(work, "expected")
    build_expected(spec, expected)
    want = listing(expected)

    got = unsquashfs_listing(image)
    if got != want:
        for path in sorted(set(got) | set(want)):
            if got.get(path) != want.get(path):
                print(f"  {path}: image {got.get(path)}, expected {want.get(path)}")
        raise SystemExit(f"FAIL: unsquashfs -lls of {image} differs from the expected listing")

    actual = os.path.join(work, "actual")
    subprocess.run(["unsquashfs", "-q", "-n", "-d", actual, image], check=True, stdout=subprocess.DEVNULL)
    diff = subprocess.run(["diff", "-r", "--no-dereference", expected, actual], capture_output=True, text=True)
    if diff.returncode != 0:
        raise SystemExit(f"FAIL: unsquashfs -d differs from dpkg-deb -x:\n{diff.stdout[:4000]}")

    manifests = 0
    for entry in spec["entries"]:
        if entry["type"] == "file" and entry["path"].endswith("/runtime_manifest.json"):
            runtime_dir = os.path.join(actual, os.path.dirname(entry["path"]))
            subprocess.run(
                [
                    tool, "check", "manifest", os.path.join(runtime_dir, "runtime_manifest.json"), "--tree",
                    "--packages", os.path.join(runtime_dir, "runtime_packages.json"),
                ],
                check=True,
            )
            manifests += 1
    print(f"PASS: {len(want)} entries match; {manifests} manifests check out against the image's trees")


if __name__ == "__main__":
    main()
