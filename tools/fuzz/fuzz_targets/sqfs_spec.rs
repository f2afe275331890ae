//! The JSON specs and manifests: the sqfs_pack spec (parsed, and, for its
//! entries that need no source files, gathered into a tree and written as
//! an image in memory), the initramfs spec, the lock request and the runtime
//! manifest.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sqfs_pack::{Compression, Entry, Spec};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<initramfs::Spec>(data);
    let _ = serde_json::from_slice::<runtime_lock::Request>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(m) = runtime_manifest::RuntimeManifest::from_json(text) {
            let again = runtime_manifest::RuntimeManifest::from_json(&m.to_json()).unwrap();
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
    let Ok(tree) = sqfs_pack::build_tree(&spec, std::path::Path::new("/nonexistent"), 1) else {
        return;
    };
    let _ = sqfs_pack::write_image(&tree, &spec, 1, std::io::Cursor::new(Vec::new()));
});
