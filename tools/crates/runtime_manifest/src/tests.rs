use super::packages::{Package, RuntimePackages};
use super::*;
use std::fs;
use std::os::unix::fs::symlink;

const SHA: &str = "ea9a27e0ebdd0cfc9c750d94f8074f3a35d1f97dcc77ae04c370fb498a6b6db2";
const URL: &str =
    "https://archive.ubuntu.com/ubuntu/pool/main/g/glibc/libc6_2.35-0ubuntu3_amd64.deb";

fn manifest() -> RuntimeManifest {
    RuntimeManifest {
        name: "glibc2.35".into(),
        arch: Arch::X86_64,
        debs: vec![URL.into()],
        mounts: vec![
            Mount::of_root("etc", "/etc"),
            Mount::of_root("lib", "/lib"),
            Mount::of_root("lib64", "/lib64"),
        ],
        interpreters: vec!["/lib64/ld-linux-x86-64.so.2".into()],
    }
}

/// A jammy-like runtime directory: `root/` with the loader in
/// /lib/<triplet>, and /lib64 holding an absolute symlink to it, as libc6
/// ships it.
fn jammy_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("lib/x86_64-linux-gnu")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::write(
        root.join("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
        b"\x7fELF",
    )
    .unwrap();
    fs::create_dir(root.join("lib64")).unwrap();
    symlink(
        "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        root.join("lib64/ld-linux-x86-64.so.2"),
    )
    .unwrap();
    dir
}

#[test]
fn json_round_trip_in_actionds_shape() {
    let m = manifest();
    let text = m.to_json();
    assert!(text.contains(r#"["root/lib64", "/lib64"]"#), "{text}");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    assert_eq!(value["debs"][0], URL);
    assert_eq!(value["mounts"][0], serde_json::json!(["root/etc", "/etc"]));
    assert_eq!(RuntimeManifest::from_json(&text).unwrap(), m);
}

/// Each bad manifest is refused with the file, the key and what was expected.
#[test]
fn bad_manifests_name_file_key_and_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(MANIFEST_FILE);
    let good: serde_json::Value = serde_json::from_str(&manifest().to_json()).unwrap();
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        edit(&mut v);
        v.to_string()
    };
    let cases = [
        (
            with(&|v| v["mounts"][1] = serde_json::json!(["root/lib", "/lib", "ro"])),
            "mounts[1]: expected a [source, target] pair of two strings, found an array of 3 elements",
        ),
        (
            with(&|v| v["mounts"][0] = serde_json::json!(["lib", "/lib"])),
            "mounts[0][0]: \"lib\" must be root or start with root/",
        ),
        (
            with(&|v| v["mounts"][0] = serde_json::json!(["root/../../etc", "/etc"])),
            "mounts[0][0]: \"root/../../etc\" must be a plain path below root/",
        ),
        (
            with(&|v| v["mounts"][0] = serde_json::json!(["root/etc", "etc"])),
            "mounts[0][1]: \"etc\" must be an absolute path",
        ),
        (
            with(&|v| v["mounts"][0] = serde_json::json!({"source": "root/etc", "target": "/etc"})),
            "mounts[0]: expected a [source, target] pair of two strings, found an object",
        ),
        (
            with(&|v| v["mounts"][0] = serde_json::json!(["root/etc", 1])),
            "mounts[0][1]: expected the target, a string, found the number 1",
        ),
        (
            with(&|v| v["provenance"] = serde_json::json!([])),
            "provenance: unknown key; a manifest has exactly name, arch, debs, mounts, interpreters",
        ),
        (
            with(&|v| drop(v.as_object_mut().unwrap().remove("interpreters"))),
            "interpreters: missing",
        ),
        (
            with(&|v| v["debs"] = serde_json::json!([{"package": "libc6"}])),
            "debs[0]: expected a string, found an object",
        ),
        (
            with(&|v| v["debs"] = serde_json::json!([])),
            "debs: expected an array of .deb sources, found none",
        ),
        (
            with(&|v| v["debs"] = serde_json::json!(["/home/me/libc6.deb"])),
            "debs[0]: \"/home/me/libc6.deb\": expected a URL, a label or apt:",
        ),
        (
            with(&|v| v["arch"] = "riscv64".into()),
            "arch: unknown arch \"riscv64\"; allowed: x86_64, aarch64",
        ),
        (
            with(&|v| v["name"] = "libc-2.35".into()),
            "name: \"libc-2.35\" is not of the form glibc<major>.<minor>",
        ),
        (
            with(&|v| v["interpreters"] = serde_json::json!(["/opt/ld.so"])),
            "interpreters[0]: \"/opt/ld.so\" is below no mount target",
        ),
        (
            with(&|v| {
                v["mounts"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!(["root", "/lib"]))
            }),
            "mounts[3][1]: \"/lib\" would hide mounts[1]",
        ),
        ("[]".into(), "(top level): expected an object, found an array of 0 elements"),
    ];
    for (text, want) in cases {
        fs::write(&path, &text).unwrap();
        let err = RuntimeManifest::from_file(&path).unwrap_err().to_string();
        assert_eq!(
            err.strip_prefix(&format!("{}: ", path.display()))
                .map(|e| e.starts_with(want)),
            Some(true),
            "{text}\n  gave {err}\n  want {want}"
        );
    }
}

#[test]
fn glibc_versions() {
    assert_eq!(glibc_version("glibc2.35"), Some((2, 35)));
    assert_eq!(glibc_version("glibc2.9"), Some((2, 9)));
    assert_eq!(glibc_version("glibc2"), None);
    assert_eq!(glibc_version("glibc2.3x"), None);
    assert_eq!(glibc_version("musl1.2"), None);
}

#[test]
fn sources_of_view_paths_take_the_last_covering_mount() {
    let mut m = manifest();
    m.mounts.push(Mount::of_root("usr/lib", "/lib/extra"));
    assert_eq!(m.source_of("/lib").as_deref(), Some("root/lib"));
    assert_eq!(
        m.source_of("/lib/x/libc.so.6").as_deref(),
        Some("root/lib/x/libc.so.6")
    );
    assert_eq!(
        m.source_of("/lib/extra/a").as_deref(),
        Some("root/usr/lib/a")
    );
    assert_eq!(m.source_of("/lib64x"), None);
    assert_eq!(m.source_of("/usr"), None);
}

#[test]
fn tree_check_follows_absolute_links_through_the_mounts() {
    let dir = jammy_dir();
    manifest().check_tree(dir.path()).unwrap();
    let loader = manifest()
        .resolve_in_dir(dir.path(), "/lib64/ld-linux-x86-64.so.2")
        .unwrap();
    assert_eq!(
        loader,
        dir.path()
            .join("root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    );
}

#[test]
fn tree_check_names_missing_mount_and_interpreter() {
    let dir = jammy_dir();
    let mut m = manifest();
    m.mounts.push(Mount::of_root("usr/lib", "/usr/lib"));
    let err = m.check_tree(dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with("mounts[3][0]:") && err.contains("usr/lib"),
        "{err}"
    );

    // Without /lib mounted, the loader's link leads nowhere in the action's view.
    let mut m = manifest();
    m.mounts.remove(1);
    let err = m.check_tree(dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with("interpreters[0]:") && err.contains("/lib is in no mount"),
        "{err}"
    );
    fs::remove_file(
        dir.path()
            .join("root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
    )
    .unwrap();
    let err = manifest().check_tree(dir.path()).unwrap_err().to_string();
    assert!(err.contains("/lib64/ld-linux-x86-64.so.2"), "{err}");
}

#[test]
fn resolution_never_leaves_root_and_stops_on_loops() {
    let dir = jammy_dir();
    let root = dir.path().join("root");
    symlink("../../../../etc", root.join("escape")).unwrap();
    // `..` past the top stays at the root, as it does for `/`.
    let err = resolve_in_root(&root, "/escape/passwd")
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
    symlink("loop", root.join("loop")).unwrap();
    let err = resolve_in_root(&root, "/loop").unwrap_err().to_string();
    assert!(err.contains("too many levels"), "{err}");
    // Through the mounts too: a link out of /etc lands in the view, not on the host.
    symlink("/../../../../etc/passwd", root.join("etc/shadow")).unwrap();
    let err = manifest()
        .resolve_in_dir(dir.path(), "/etc/shadow")
        .unwrap_err()
        .to_string();
    assert!(err.contains("root/etc/passwd does not exist"), "{err}");
}

fn packages() -> RuntimePackages {
    RuntimePackages {
        name: "glibc2.35".into(),
        arch: Arch::X86_64,
        packages: vec![Package {
            package: "libc6".into(),
            version: "2.35-0ubuntu3".into(),
            filename: "libc6_2.35-0ubuntu3_amd64.deb".into(),
            sha256: SHA.into(),
            source: URL.into(),
        }],
    }
}

#[test]
fn packages_round_trip_and_match_the_manifest() {
    let p = packages();
    assert_eq!(RuntimePackages::from_json(&p.to_json()).unwrap(), p);
    p.check_matches(&manifest()).unwrap();
    let mut other = manifest();
    other.debs = vec!["apt:libc6:amd64=2.35-0ubuntu3".into()];
    let err = p.check_matches(&other).unwrap_err().to_string();
    assert!(err.contains("not the manifest's debs"), "{err}");
}

#[test]
fn bad_packages_are_refused() {
    for (edit, want) in [
        (
            Box::new(|p: &mut RuntimePackages| p.packages[0].sha256 = SHA.to_uppercase())
                as Box<dyn Fn(&mut RuntimePackages)>,
            "packages[0].sha256:",
        ),
        (
            Box::new(|p| p.packages.clear()),
            "packages: expected at least one",
        ),
        (
            Box::new(|p| p.packages[0].source.clear()),
            "packages[0].source:",
        ),
    ] {
        let mut p = packages();
        edit(&mut p);
        let err = RuntimePackages::from_json(&p.to_json())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(want), "{err}");
    }
    let err = RuntimePackages::from_json(&packages().to_json().replace("\"source\"", "\"url\""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `url`"), "{err}");
}
