#!/usr/bin/env python3
"""Writes small synthetic .debs for the runtime repository tests.

Usage: make_debs.py OUTDIR           the good .debs of the repository tests
       make_debs.py --bad OUTDIR     malformed .debs for the bad-input tests
       make_debs.py --hostile OUTDIR NAME   .debs whose entries escape the tree

Each .deb is a real ar archive (debian-binary, control.tar.*, data.tar.*)
with a libc6-like layout, deterministic (mtime 0, uid/gid 0). The layouts
cover the three real shapes: /lib/<triplet> with an absolute /lib64 link
(focal, jammy), usrmerged /usr/lib/<triplet> with a relative link (noble),
and aarch64's loader directly in /lib. zstd needs Python 3.14's tarfile.
"""

import io
import os
import struct
import sys
import tarfile

# e_machine of each architecture.
MACHINES = {"x86_64-linux-gnu": 62, "aarch64-linux-gnu": 183}


def loader(triplet):
    """A minimal ELF64 shared-object header of the triplet's machine: what
    the runtime validation reads of a loader (it is never run)."""
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header += struct.pack("<HHIQQQIHHHHHH", 3, MACHINES[triplet], 1, 0, 0, 0, 0, 64, 0, 0, 64, 0, 0)
    return header + b"synthetic loader\n"


def libc(version):
    """libc.so.6 with glibc's banner, which names the release."""
    return f"GNU C Library (synthetic) stable release version {version}.\n".encode()


def tar_bytes(entries, compression):
    """entries: (path, kind, payload) with kind in dir/file/exe/symlink/hardlink.

    A path is written as "./<path>", or verbatim if it starts with "raw:".
    """
    buf = io.BytesIO()
    mode = {"gz": "w:gz", "xz": "w:xz", "zst": "w:zst"}[compression]
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.GNU_FORMAT) as tar:
        for path, kind, payload in entries:
            name = path[len("raw:"):] if path.startswith("raw:") else "./" + path if path else "."
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif kind in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.mode, info.linkname = 0o777, payload
                tar.addfile(info)
            else:
                info.mode = 0o755 if kind == "exe" else 0o644
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def ar_member(name, data):
    header = b"%-16s%-12d%-6d%-6d%-8o%-10d`\n" % (name.encode(), 0, 0, 0, 0o100644, len(data))
    return header + data + (b"\n" if len(data) % 2 else b"")


def write_deb(path, control, data_entries, compression, data_member=None):
    control_tar = tar_bytes([("", "dir", None), ("control", "file", control.encode())], compression)
    data_tar = tar_bytes(data_entries, compression)
    body = b"!<arch>\n"
    body += ar_member("debian-binary", b"2.0\n")
    body += ar_member("control.tar." + compression, control_tar)
    body += ar_member(data_member or "data.tar." + compression, data_tar)
    with open(path, "wb") as f:
        f.write(body)


def dirs(*paths):
    out = [("", "dir", None)]
    for p in paths:
        parts = p.split("/")
        for i in range(1, len(parts) + 1):
            entry = ("/".join(parts[:i]), "dir", None)
            if entry not in out:
                out.append(entry)
    return out


def control(package, version, arch):
    return f"Package: {package}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: test\nDescription: synthetic\n"


def jammy_like(triplet, loader_name, version):
    """focal/jammy: /lib/<triplet>, /lib64 -> absolute link, docs and gconv to strip."""
    return dirs(f"lib/{triplet}", "lib64", f"usr/lib/{triplet}/gconv", "usr/share/doc/libc6", "etc/ld.so.conf.d") + [
        (f"lib/{triplet}/{loader_name}", "exe", loader(triplet)),
        (f"lib/{triplet}/libc.so.6", "exe", libc(version)),
        ("lib64/" + loader_name, "symlink", f"/lib/{triplet}/{loader_name}"),
        (f"usr/lib/{triplet}/gconv/UTF-16.so", "file", b"gconv\n"),
        ("usr/share/doc/libc6/copyright", "file", b"copyright\n"),
        (f"etc/ld.so.conf.d/{triplet}.conf", "file", f"/lib/{triplet}\n".encode()),
    ]


def noble_like(triplet, loader_name, version):
    """noble: usrmerged /usr/lib/<triplet>, /usr/lib64 -> relative link."""
    return dirs(f"usr/lib/{triplet}/gconv", "usr/lib64", "usr/share/locale/de") + [
        (f"usr/lib/{triplet}/{loader_name}", "exe", loader(triplet)),
        (f"usr/lib/{triplet}/libc.so.6", "exe", libc(version)),
        (f"usr/lib/{triplet}/libm.so.6", "symlink", "libc.so.6"),
        (f"usr/lib/{triplet}/gconv/UTF-16.so", "file", b"gconv\n"),
        ("usr/lib64/" + loader_name, "symlink", f"../lib/{triplet}/{loader_name}"),
        ("usr/share/locale/de/libc.mo", "file", b"mo\n"),
    ]


def aarch64_like(version):
    """arm64 focal/jammy: the loader link directly in /lib."""
    t = "aarch64-linux-gnu"
    return dirs(f"lib/{t}") + [
        (f"lib/{t}/ld-linux-aarch64.so.1", "exe", loader(t)),
        (f"lib/{t}/libc.so.6", "exe", libc(version)),
        ("lib/ld-linux-aarch64.so.1", "symlink", f"{t}/ld-linux-aarch64.so.1"),
    ]


def write_bad(out):
    """Malformed .debs (gz only, so any Python 3 can make them)."""
    x86 = ("x86_64-linux-gnu", "ld-linux-x86-64.so.2")
    good_control = control("libc6", "8.1-1", "amd64")
    with open(f"{out}/not_ar.deb", "w") as f:
        f.write("<html>404 Not Found</html>\n")
    no_data = b"!<arch>\n" + ar_member("debian-binary", b"2.0\n")
    no_data += ar_member("control.tar.gz", tar_bytes([("control", "file", good_control.encode())], "gz"))
    with open(f"{out}/no_data.deb", "wb") as f:
        f.write(no_data)
    write_deb(f"{out}/bz2.deb", good_control, jammy_like(*x86, "8.1"), "gz", data_member="data.tar.bz2")
    write_deb(f"{out}/libc6_8.1-1_amd64.deb", good_control, jammy_like(*x86, "8.1"), "gz")


def write_hostile(out, name):
    """Companion .debs whose data.tar tries to write outside the tree, each
    at a file called `name` (escape_<form>.deb)."""
    forms = {
        "dotdot": [("usr/../../" + name, "file", b"escaped\n")],
        "deep": [("usr/../../../../../../../../tmp/" + name, "file", b"escaped\n")],
        "absolute": [("raw:/tmp/" + name, "file", b"escaped\n")],
        "symlink": [("tmp", "symlink", "/tmp"), ("tmp/" + name, "file", b"escaped\n")],
        "hardlink": [("etc", "dir", None), ("etc/" + name, "hardlink", "/etc/passwd")],
    }
    for form, entries in forms.items():
        write_deb(f"{out}/escape_{form}.deb", control("escape", "1.0-1", "amd64"), entries, "gz")


def main():
    if sys.argv[1] == "--hostile":
        os.makedirs(sys.argv[2], exist_ok=True)
        write_hostile(sys.argv[2], sys.argv[3])
        return
    if sys.argv[1] == "--bad":
        os.makedirs(sys.argv[2], exist_ok=True)
        write_bad(sys.argv[2])
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    x86 = ("x86_64-linux-gnu", "ld-linux-x86-64.so.2")
    write_deb(f"{out}/libc6_8.1-1_amd64.deb", control("libc6", "8.1-1", "amd64"), jammy_like(*x86, "8.1"), "xz")
    write_deb(f"{out}/libc6_8.2-1_amd64.deb", control("libc6", "8.2-1", "amd64"), noble_like(*x86, "8.2"), "zst")
    write_deb(f"{out}/libc6_8.3-1_arm64.deb", control("libc6", "8.3-1", "arm64"), aarch64_like("8.3"), "gz")
    # A companion package unpacked over a runtime.
    write_deb(
        f"{out}/zlib1g_1.0-1_amd64.deb",
        control("zlib1g", "1.0-1", "amd64"),
        dirs("usr/lib/x86_64-linux-gnu") + [("usr/lib/x86_64-linux-gnu/libz.so.1", "file", b"zlib\n")],
        "gz",
    )


if __name__ == "__main__":
    main()
