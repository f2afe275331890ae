//! The seed corpus of every fuzz target: small valid (and a few broken)
//! inputs built by code, so that nothing but the crash reproducers is stored
//! in git. `gen_corpus` writes them for libFuzzer; the smoke test
//! (`tests/smoke.rs`) runs the targets on them directly.

use crate::{compress, deb, sample_deb, sample_tar};

/// Every seed, as (target, name, bytes).
pub fn all() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut seeds: Vec<(&'static str, String, Vec<u8>)> = Vec::new();

    // deb_ar: .debs of each compression, broken ones too.
    for format in ["xz", "zst", "gz", ""] {
        let d = sample_deb(format);
        seeds.push(("deb_ar", format!("deb-{format}"), d.clone()));
        seeds.push((
            "deb_ar",
            format!("deb-{format}-cut"),
            d[..d.len() / 2].to_vec(),
        ));
    }
    seeds.push((
        "deb_ar",
        "no-data".into(),
        deb(&[("debian-binary", b"2.0\n")]),
    ));
    seeds.push(("deb_ar", "magic".into(), b"!<arch>\n".to_vec()));

    // data_tar: the mode byte, then a tar (compressed by the target) or an
    // already compressed stream (mode 0).
    let tar = sample_tar();
    for mode in 0u8..4 {
        seeds.push((
            "data_tar",
            format!("tar-{mode}"),
            [&[mode][..], &tar].concat(),
        ));
    }
    for format in ["xz", "zst", "gz"] {
        let packed = compress(format, &tar);
        seeds.push((
            "data_tar",
            format!("packed-{format}"),
            [&[0u8][..], &packed].concat(),
        ));
    }

    // squashfs_spec: the specs and manifests of the tools.
    for (name, text) in [
        (
            "squashfs",
            r#"{"compression": {"algorithm": "zstd", "level": 15}, "block_size": 131072, "mtime": 0, "max_expanded_bytes": 1000, "entries": [{"type": "dir", "path": "common/root/etc", "mode": 493}, {"type": "symlink", "path": "lib", "target": "usr/lib"}, {"type": "file", "path": "etc/hosts", "source": "hosts", "mode": 420}, {"type": "deb", "source": "libc6.deb", "prefix": "libc/root", "strip": ["usr/share/doc"]}, {"type": "tar", "source": "x.tar.zst", "prefix": "opt"}, {"type": "tree", "path": "opt/tool", "source": "tool_dir"}]}"#,
        ),
        (
            "squashfs-xz",
            r#"{"compression": {"algorithm": "xz", "level": 6}, "block_size": 4096, "entries": [{"type": "dir", "path": "a/b"}, {"type": "symlink", "path": "a/c", "target": "b"}]}"#,
        ),
        (
            "squashfs-gzip",
            r#"{"compression": {"algorithm": "gzip", "level": 9}, "entries": [{"type": "dir", "path": "x"}]}"#,
        ),
        (
            "initramfs",
            r#"{"init": "init", "level": 19, "entries": [{"type": "file", "path": "init", "source": "guest", "mode": 493}, {"type": "dir", "path": "proc"}, {"type": "symlink", "path": "sbin/init", "target": "/init"}]}"#,
        ),
        (
            "lock",
            r#"{"runtimes": [{"name": "glibc2.35", "arch": "x86_64", "index": "Packages.xz", "packages": ["libc6", "libgcc-s1"], "urls": ["https://mirror.example/ubuntu/{filename}"]}]}"#,
        ),
        (
            "manifest",
            r#"{"name": "glibc2.35", "arch": "x86_64", "debs": [{"package": "libc6", "version": "2.35-0ubuntu3", "filename": "libc6_2.35-0ubuntu3_amd64.deb", "sha256": "0000000000000000000000000000000000000000000000000000000000000000"}], "mounts": [{"source": "usr", "target": "/usr"}], "interpreters": ["/lib64/ld-linux-x86-64.so.2"]}"#,
        ),
    ] {
        seeds.push(("squashfs_spec", name.into(), text.as_bytes().to_vec()));
    }

    // payload: ELF and Mach-O files with payload sections.
    for (name, format, arch) in [
        (
            "elf64",
            object::BinaryFormat::Elf,
            object::Architecture::X86_64,
        ),
        (
            "elf-aarch64",
            object::BinaryFormat::Elf,
            object::Architecture::Aarch64,
        ),
        (
            "elf32",
            object::BinaryFormat::Elf,
            object::Architecture::I386,
        ),
        (
            "macho",
            object::BinaryFormat::MachO,
            object::Architecture::Aarch64,
        ),
    ] {
        let mut obj = object::write::Object::new(format, arch, object::Endianness::Little);
        let (segment, sections): (&[u8], [&[u8]; 2]) = if format == object::BinaryFormat::MachO {
            (b"__ACTIOND", [b"__runtimes", b"__sha256"])
        } else {
            (b"", [b".actiond.runtimes", b".actiond.sha256"])
        };
        let text = obj.add_section(Vec::new(), b".text".to_vec(), object::SectionKind::Text);
        obj.append_section_data(text, &[0xc3; 16], 1);
        for (section, data) in sections.iter().zip([
            &b"payload bytes"[..],
            b"runtimes 6b4e03423667dbb73b6e15454f0eb1abd4597f9a1b078e3f5b5a6bc7a8b1c2d3\n",
        ]) {
            let id = obj.add_section(
                segment.to_vec(),
                section.to_vec(),
                object::SectionKind::Other,
            );
            obj.append_section_data(id, data, 1);
        }
        seeds.push((
            "payload",
            name.into(),
            obj.write().expect("a small object writes"),
        ));
    }

    // packages_index: a stanza or two, and version pairs.
    let sha = "a".repeat(64);
    seeds.push((
        "packages_index",
        "index".into(),
        format!(
            "Package: libc6\nVersion: 2.35-0ubuntu3\nArchitecture: amd64\nFilename: pool/main/g/glibc/libc6_2.35-0ubuntu3_amd64.deb\nSize: 3235\nSHA256: {sha}\nDescription: GNU C Library\n continued\n\nPackage: libc6\nVersion: 1:2.36~rc1+b2\nArchitecture: all\nFilename: pool/x.deb\nSize: 1\nSHA256: {sha}\n"
        )
        .into_bytes(),
    ));
    seeds.push((
        "packages_index",
        "versions".into(),
        b"1.0~rc1-1\n1:0.9+dfsg-2ubuntu1\n".to_vec(),
    ));

    // cpio_roundtrip: arbitrary's bytes; a few shapes.
    for (i, seed) in [
        &b"\x00\x01a\x02\xed\x01\x00\x00"[..],
        b"\x01\x01b\x01\xa4\x01\x00\x00\x03xyz",
        b"\x02\x03a/b\x01c",
    ]
    .iter()
    .enumerate()
    {
        seeds.push(("cpio_roundtrip", format!("shape-{i}"), seed.to_vec()));
    }

    seeds
}
