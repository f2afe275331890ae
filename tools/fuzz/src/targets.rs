//! The bodies of the byte-input fuzz targets, shared by the libFuzzer
//! targets (`fuzz_targets/`) and the smoke test that runs in `bazel test`
//! (`tests/smoke.rs`). Each returns normally on any input; a panic is a bug.

use squashfs_pack::deb;
use std::cmp::Ordering;

/// A .deb (ar archive) read as `squashfs_pack` reads it: the ar members, then
/// the data.tar.* stream, decompressed and parsed, into a tree; and its
/// control.tar.*'s control fields, as `runtime derive` reads them.
pub fn deb_ar(data: &[u8]) {
    if let Ok(archive) = deb::read_deb_from(data, "fuzz.deb", "root", &[], crate::LIMIT) {
        let _ = archive.add_to(&mut squashfs_pack::Tree::default());
    }
    let _ = deb::read_control_from(data, "fuzz.deb");
}

/// A data.tar stream: the first byte picks how the rest is wrapped (as is,
/// or compressed with zstd, gzip or xz first), so that both the
/// decompressors and the tar reader see hostile bytes.
pub fn data_tar(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let format = ["", "zst", "gz", "xz"][usize::from(mode % 4)];
    let stream = crate::compress(format, rest);
    let Ok((_, reader)) = decompress::open(&stream[..]) else {
        return;
    };
    let strip = ["usr/share/doc".to_owned(), "usr/lib/*/gconv".to_owned()];
    if let Ok(archive) = deb::read_tar(reader, "p", &strip, "fuzz.tar", crate::LIMIT) {
        let _ = archive.add_to(&mut squashfs_pack::Tree::default());
    }
}

/// The JSON inputs: squashfs_pack specs (their dir and symlink entries written
/// as an image in memory), initramfs specs, lock requests, and runtime
/// manifests (which must survive a round trip).
pub fn squashfs_spec(data: &[u8]) {
    use squashfs_pack::{Compression, Entry, Spec};
    let _ = serde_json::from_slice::<initramfs::Spec>(data);
    let _ = serde_json::from_slice::<runtime_lock::Request>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(m) = runtime_manifest::RuntimeManifest::from_json(text) {
            let again = runtime_manifest::RuntimeManifest::from_json(&m.to_json())
                .expect("a manifest's own JSON parses");
            assert_eq!(m, again, "a manifest survives a round trip");
        }
    }
    let Ok(mut spec) = serde_json::from_slice::<Spec>(data) else {
        return;
    };
    // Sources would be read from the machine: keep what needs none.
    spec.entries
        .retain(|e| matches!(e, Entry::Dir { .. } | Entry::Symlink { .. }));
    if spec.entries.len() > 64 {
        return;
    }
    // The cheapest level of the chosen algorithm (xz 9 takes ~700 MiB a block).
    spec.compression = match spec.compression {
        Compression::Zstd { level } if (1..=22).contains(&level) => Compression::Zstd { level: 1 },
        Compression::Xz { level } if level <= 9 => Compression::Xz { level: 0 },
        Compression::Gzip { level } if (1..=9).contains(&level) => Compression::Gzip { level: 1 },
        other => other,
    };
    let Ok(tree) = squashfs_pack::build_tree(&spec, std::path::Path::new("/nonexistent"), 1) else {
        return;
    };
    let _ = squashfs_pack::write_image(&tree, &spec, 1, std::io::Cursor::new(Vec::new()));
}

/// ELF and Mach-O payload lookup, the digests section, the static-ELF
/// check, and adding sections to an ELF.
pub fn payload(data: &[u8]) {
    let names = embedded_payload::Names::default();
    if let Ok(payloads) = embedded_payload::find(data, &names) {
        for p in &payloads {
            let end = p.offset.checked_add(p.size).expect("checked by find");
            assert!(end <= data.len() as u64, "{p:?} is past the end");
        }
        let _ = embedded_payload::recorded_digests(data, &payloads);
    }
    let _ = initramfs::check_static_elf(data);
    if data.starts_with(b"\x7fELF") {
        let _ = embedded_payload::add_elf_sections(data, &[("x".into(), b"hi".to_vec())], &names);
    }
}

/// The Packages index parser, and Debian version comparison as a total order.
pub fn packages_index(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(index) = deb_index::Index::parse(text) {
        for p in index.packages.iter().take(16) {
            assert!(index.find(&p.name, &p.architecture).is_some());
            let _ = p.basename();
        }
    }
    let mut lines = text.lines();
    if let (Some(a), Some(b)) = (lines.next(), lines.next()) {
        let ab = deb_index::compare_versions(a, b);
        assert_eq!(
            ab,
            deb_index::compare_versions(b, a).reverse(),
            "{a:?} vs {b:?}"
        );
        assert_eq!(deb_index::compare_versions(a, a), Ordering::Equal, "{a:?}");
    }
}

/// A target's body.
pub type Body = fn(&[u8]);

/// The byte-input targets, by name (cpio_roundtrip takes `arbitrary`'s
/// structured input and runs only under libFuzzer).
pub const ALL: [(&str, Body); 5] = [
    ("deb_ar", deb_ar),
    ("data_tar", data_tar),
    ("squashfs_spec", squashfs_spec),
    ("payload", payload),
    ("packages_index", packages_index),
];
