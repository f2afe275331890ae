//! `derive` and `write` on .debs built by code.

use glibc_sysroot::{derive, rewrite_ld_script, write};
use runtime_manifest::Arch;
use std::path::{Path, PathBuf};
use tar::EntryType::{Directory, Regular, Symlink};
use test_fixtures::{data_tar, write_deb};

const LIMIT: u64 = 1 << 30;
const LIBC_SO: &str = "/* GNU ld script\n   Use the shared library, but some functions are only in\n   the static library, so try that secondarily.  */\nOUTPUT_FORMAT(elf64-x86-64)\nGROUP ( /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc_nonshared.a  AS_NEEDED ( /lib64/ld-linux-x86-64.so.2 ) )\n";

fn libc6(dir: &Path, version: &str) -> PathBuf {
    let data = data_tar(&[
        ("./lib/x86_64-linux-gnu/", Directory, ""),
        ("./lib/x86_64-linux-gnu/libc.so.6", Regular, "libc"),
        ("./lib/x86_64-linux-gnu/libm.so.6", Regular, "libm"),
        ("./lib64/", Directory, ""),
        (
            "./lib64/ld-linux-x86-64.so.2",
            Symlink,
            "/lib/x86_64-linux-gnu/ld-2.31.so",
        ),
        ("./lib/x86_64-linux-gnu/ld-2.31.so", Regular, "ld"),
    ]);
    write_deb(dir, "libc6.deb", "libc6", version, &data)
}

fn libc6_dev(dir: &Path, version: &str) -> PathBuf {
    let data = data_tar(&[
        ("./usr/include/", Directory, ""),
        ("./usr/include/stdio.h", Regular, "/* stdio */"),
        ("./usr/lib/x86_64-linux-gnu/", Directory, ""),
        ("./usr/lib/x86_64-linux-gnu/crt1.o", Regular, "crt1"),
        ("./usr/lib/x86_64-linux-gnu/libc.so", Regular, LIBC_SO),
        (
            "./usr/lib/x86_64-linux-gnu/libm.so",
            Symlink,
            "/lib/x86_64-linux-gnu/libm.so.6",
        ),
        (
            "./usr/lib/x86_64-linux-gnu/libnothere.so",
            Symlink,
            "/lib/x86_64-linux-gnu/libnothere.so.1",
        ),
    ]);
    write_deb(dir, "libc6-dev.deb", "libc6-dev", version, &data)
}

#[test]
fn links_become_relative_and_ld_scripts_sysroot_relative() {
    let dir = tempfile::tempdir().unwrap();
    let debs = [
        libc6(dir.path(), "2.31-0ubuntu9"),
        libc6_dev(dir.path(), "2.31-0ubuntu9"),
    ];
    let sysroot = derive("glibc2.31", Arch::X86_64, &debs, &[], LIMIT).unwrap();
    assert_eq!(sysroot.libc_version, "2.31-0ubuntu9");
    assert_eq!(sysroot.dropped, ["usr/lib/x86_64-linux-gnu/libnothere.so"]);

    // Written into an empty directory, as Bazel declares a tree artifact.
    let out = dir.path().join("sysroot");
    std::fs::create_dir(&out).unwrap();
    write(&sysroot, &out).unwrap();
    assert_eq!(
        std::fs::read_link(out.join("usr/lib/x86_64-linux-gnu/libm.so")).unwrap(),
        Path::new("../../../lib/x86_64-linux-gnu/libm.so.6")
    );
    assert_eq!(
        std::fs::read(out.join("usr/lib/x86_64-linux-gnu/libm.so")).unwrap(),
        b"libm"
    );
    assert_eq!(
        std::fs::read(out.join("lib64/ld-linux-x86-64.so.2")).unwrap(),
        b"ld"
    );
    let script = std::fs::read_to_string(out.join("usr/lib/x86_64-linux-gnu/libc.so")).unwrap();
    assert!(
        script.contains("GROUP ( =/lib/x86_64-linux-gnu/libc.so.6 =/usr/lib/x86_64-linux-gnu/libc_nonshared.a  AS_NEEDED ( =/lib64/ld-linux-x86-64.so.2 ) )"),
        "{script}"
    );
    assert!(
        script.starts_with("/* GNU ld script\n"),
        "the comment is kept: {script}"
    );
    assert!(!out.join("usr/lib/x86_64-linux-gnu/libnothere.so").exists());
}

#[test]
fn ld_script_comments_and_relative_names_are_kept() {
    assert_eq!(
        rewrite_ld_script("/* a /b */ INPUT(/x libfoo.so.1 (/y)"),
        "/* a /b */ INPUT(=/x libfoo.so.1 (=/y)"
    );
}

#[test]
fn a_sysroot_without_libc6_dev_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let debs = [libc6(dir.path(), "2.31-0ubuntu9")];
    let err = derive("glibc2.31", Arch::X86_64, &debs, &[], LIMIT)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        "sysroot glibc2.31 x86_64: its .debs lack libc6-dev: a sysroot needs libc6 and libc6-dev (crt files, headers, libc.so)"
    );
}

#[test]
fn headers_and_libraries_of_two_glibcs_name_both() {
    let dir = tempfile::tempdir().unwrap();
    let debs = [
        libc6(dir.path(), "2.31-0ubuntu9"),
        libc6_dev(dir.path(), "2.35-0ubuntu3"),
    ];
    let err = derive("glibc2.31", Arch::X86_64, &debs, &[], LIMIT)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        "sysroot glibc2.31 x86_64: libc6 is 2.31-0ubuntu9 (libc6.deb) but libc6-dev is 2.35-0ubuntu3 (libc6-dev.deb): headers and libraries must be of one glibc"
    );
    let debs = [
        libc6(dir.path(), "2.35-0ubuntu3"),
        libc6_dev(dir.path(), "2.35-0ubuntu3"),
    ];
    let err = derive("glibc2.31", Arch::X86_64, &debs, &[], LIMIT)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("libc6 is 2.35-0ubuntu3 (libc6.deb), not glibc 2.31"),
        "{err}"
    );
}
