//! A cpio round trip: an arbitrary initramfs spec (files held in memory) is
//! written by `initramfs::write_cpio_with`, read back with the cpio crate,
//! and every entry must come back as given: type, permission bits, bytes,
//! with names sorted, unique, and parents before children.
#![no_main]
use arbitrary::Arbitrary;
use initramfs::{Entry, Spec};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::io::Read;

#[derive(Arbitrary, Debug)]
enum Item {
    Dir {
        path: String,
        mode: u32,
    },
    File {
        path: String,
        mode: u32,
        data: Vec<u8>,
    },
    Symlink {
        path: String,
        target: String,
    },
}

/// The path as the archive names it: no '.', no empty parts.
fn normal(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fuzz_target!(|items: Vec<Item>| {
    let mut sources = Vec::new();
    let mut want: BTreeMap<String, (u32, Vec<u8>)> = BTreeMap::new();
    let entries = items
        .iter()
        .map(|item| match item {
            Item::Dir { path, mode } => {
                want.insert(normal(path), (0o040000 | mode, Vec::new()));
                Entry::Dir {
                    path: path.clone(),
                    mode: *mode,
                }
            }
            Item::File { path, mode, data } => {
                sources.push(data.clone());
                want.insert(normal(path), (0o100000 | mode, data.clone()));
                Entry::File {
                    path: path.clone(),
                    source: (sources.len() - 1).to_string().into(),
                    mode: *mode,
                }
            }
            Item::Symlink { path, target } => {
                want.insert(normal(path), (0o120777, target.as_bytes().to_vec()));
                Entry::Symlink {
                    path: path.clone(),
                    target: target.clone(),
                }
            }
        })
        .collect();
    let spec = Spec {
        init: None,
        level: 1,
        entries,
    };
    let read = |source: &std::path::Path| {
        let i: usize = source.to_str().unwrap().parse().unwrap();
        Ok(sources[i].clone())
    };
    let Ok(archive) = initramfs::write_cpio_with(&spec, read, Vec::new()) else {
        return;
    };
    let mut got: BTreeMap<String, (u32, Vec<u8>)> = BTreeMap::new();
    let mut names = Vec::new();
    let mut rest = &archive[..];
    loop {
        let mut reader = cpio::newc::Reader::new(rest).expect("a written entry reads back");
        let entry = reader.entry().clone();
        if entry.is_trailer() {
            rest = reader.finish().unwrap();
            break;
        }
        let mut data = Vec::new();
        reader.read_to_end(&mut data).unwrap();
        assert_eq!(
            entry.ino() as usize,
            names.len() + 1,
            "inodes are sequential"
        );
        names.push(entry.name().to_owned());
        got.insert(entry.name().to_owned(), (entry.mode(), data));
        rest = reader.finish().unwrap();
    }
    assert!(
        rest.iter().all(|b| *b == 0),
        "nothing but padding after the trailer"
    );
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "sorted, unique: {names:?}"
    );
    for name in &names {
        if let Some((parent, _)) = name.rsplit_once('/') {
            assert_eq!(
                got[parent].0 & 0o170000,
                0o040000,
                "{parent} is a directory"
            );
        }
    }
    for (path, (mode, data)) in &want {
        let (gmode, gdata) = got
            .get(path)
            .unwrap_or_else(|| panic!("{path:?} is missing"));
        assert_eq!(gmode & 0o170000, mode & 0o170000, "{path:?}: type");
        if mode & 0o170000 != 0o040000 {
            // A directory given twice takes the last mode; others are unique.
            assert_eq!(gmode, mode, "{path:?}: mode");
            assert_eq!(gdata, data, "{path:?}: bytes");
        }
    }
});
