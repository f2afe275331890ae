//! `derive` and `write_tree` on .debs built by code.

use runtime_derive::{derive, write_tree, DebSource};
use runtime_manifest::Arch;
use std::path::{Path, PathBuf};
use test_fixtures::{data_tar, tar_of, write_deb};

const LIMIT: u64 = 1 << 30;

/// The .debs at `paths`, each with a made-up URL as its source.
fn sources(paths: &[PathBuf]) -> Vec<DebSource> {
    paths
        .iter()
        .map(|path| DebSource {
            path: path.clone(),
            source: format!(
                "https://example.invalid/{}",
                path.file_name().unwrap().to_string_lossy()
            ),
        })
        .collect()
}

fn noble_like(dir: &Path, version: &str) -> PathBuf {
    use tar::EntryType::{Directory, Regular, Symlink};
    let data = data_tar(&[
        ("./usr/lib/x86_64-linux-gnu/", Directory, ""),
        ("./usr/lib/x86_64-linux-gnu/libc.so.6", Regular, "libc"),
        (
            "./usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            Regular,
            "ld",
        ),
        ("./usr/lib64/", Directory, ""),
        (
            "./usr/lib64/ld-linux-x86-64.so.2",
            Symlink,
            "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        ),
        ("./usr/share/doc/libc6/", Directory, ""),
        ("./usr/share/doc/libc6/copyright", Regular, "c"),
        ("./usr/share/empty/", Directory, ""),
        ("./etc/ld.so.conf.d/", Directory, ""),
        ("./etc/ld.so.conf.d/x86_64-linux-gnu.conf", Regular, "/lib"),
        ("./etc/nsswitch.conf", Regular, "hosts: files"),
    ]);
    write_deb(dir, "libc6.deb", "libc6", version, &data)
}

#[test]
fn usrmerged_runtime_gets_lib_links_mounts_and_interpreters() {
    let dir = tempfile::tempdir().unwrap();
    let debs = sources(&[noble_like(dir.path(), "2.39-0ubuntu8")]);
    let rt = derive(
        "glibc2.39",
        Arch::X86_64,
        &debs,
        &["usr/share/doc".into()],
        LIMIT,
    )
    .unwrap();
    let links: Vec<(&str, &str)> = rt
        .additions
        .symlinks
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(links, [("lib", "usr/lib"), ("lib64", "usr/lib64")]);
    // The debs have an nsswitch.conf: only hosts needs a mount point.
    assert_eq!(rt.additions.empty_files, ["etc/hosts"]);
    let mounts: Vec<(&str, &str)> = rt
        .manifest
        .mounts
        .iter()
        .map(|m| (m.source.as_str(), m.target.as_str()))
        .collect();
    // Each top-level directory, the links mounted as what they point at,
    // and nothing for the empty usr/share once usr/share/doc is stripped.
    assert_eq!(
        mounts,
        [
            ("root/etc", "/etc"),
            ("root/usr/lib", "/lib"),
            ("root/usr/lib64", "/lib64"),
            ("root/usr/lib", "/usr/lib"),
            ("root/usr/lib64", "/usr/lib64"),
        ]
    );
    assert_eq!(
        rt.manifest.interpreters,
        [
            "/lib64/ld-linux-x86-64.so.2",
            "/usr/lib64/ld-linux-x86-64.so.2"
        ]
    );
    assert_eq!(rt.manifest.debs, ["https://example.invalid/libc6.deb"]);
    let p = &rt.packages.packages[0];
    assert_eq!(
        (p.package.as_str(), p.version.as_str()),
        ("libc6", "2.39-0ubuntu8")
    );
    assert_eq!(p.source, rt.manifest.debs[0]);
    rt.packages.check_matches(&rt.manifest).unwrap();
    assert!(
        rt.tree.get("usr/share/doc").is_none(),
        "strip kept usr/share/doc"
    );

    let out = dir.path().join("root");
    write_tree(&rt.tree, &out).unwrap();
    assert_eq!(
        std::fs::read_link(out.join("lib")).unwrap(),
        Path::new("usr/lib")
    );
    assert_eq!(
        std::fs::read(out.join("lib64/ld-linux-x86-64.so.2")).unwrap(),
        b"ld"
    );
    assert_eq!(std::fs::read(out.join("etc/hosts")).unwrap(), b"");
    assert_eq!(
        std::fs::read(out.join("etc/nsswitch.conf")).unwrap(),
        b"hosts: files"
    );
    // The manifest holds against the tree on disk, as an executor sees it.
    std::fs::create_dir(dir.path().join("runtime")).unwrap();
    std::fs::rename(&out, dir.path().join("runtime/root")).unwrap();
    rt.manifest.check_tree(&dir.path().join("runtime")).unwrap();
    let out = dir.path().join("runtime/root");
    // The output directory must be new: nothing is written into an old one.
    let err = write_tree(&rt.tree, &out).unwrap_err().to_string();
    assert!(err.contains("root"), "{err}");
}

#[test]
fn libc6_of_another_version_is_refused_naming_the_deb() {
    let dir = tempfile::tempdir().unwrap();
    let debs = sources(&[noble_like(dir.path(), "2.39-0ubuntu8")]);
    let err = derive("glibc2.35", Arch::X86_64, &debs, &[], LIMIT)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        "libc6.deb is libc6 2.39-0ubuntu8, but the runtime is named glibc2.35"
    );
}

#[test]
fn escaping_entries_are_refused_naming_the_deb_and_entry() {
    use tar::EntryType::Regular;
    let dir = tempfile::tempdir().unwrap();
    let escape = tar_of(|b| {
        let h = test_fixtures::raw_tar_header(Regular, b"./usr/../../x", b"", 1);
        b.append(&h, &b"x"[..]).unwrap();
    });
    let debs = sources(&[
        noble_like(dir.path(), "2.39-0ubuntu8"),
        write_deb(dir.path(), "escape.deb", "escape", "1", &escape),
    ]);
    let err = derive("glibc2.39", Arch::X86_64, &debs, &[], LIMIT)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("escape.deb:data.tar.zst: entry \"./usr/../../x\" contains '..'"),
        "{err}"
    );
}

#[test]
fn a_runtime_without_a_loader_is_refused() {
    use tar::EntryType::{Directory, Regular};
    let dir = tempfile::tempdir().unwrap();
    let data = data_tar(&[
        ("./lib/x86_64-linux-gnu/", Directory, ""),
        ("./lib/x86_64-linux-gnu/libc.so.6", Regular, "libc"),
    ]);
    let debs = sources(&[write_deb(
        dir.path(),
        "libc6.deb",
        "libc6",
        "2.35-0ubuntu3",
        &data,
    )]);
    let err = derive("glibc2.35", Arch::X86_64, &debs, &[], LIMIT)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("no ld-linux* interpreter"), "{err}");
}
