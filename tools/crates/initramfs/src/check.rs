//! Checks a written initramfs, for the validation action of `initramfs`:
//!
//! 1. the cpio "newc" archive parses, entry by entry, to its trailer;
//! 2. every entry is owned by root;
//! 3. the init program is there, a regular file with execute bits, and a
//!    statically linked ELF executable of the VM's architecture.
//!
//! Errors name the archive, the check and the offending entry.

use std::io::Read;

#[derive(Debug, thiserror::Error)]
#[error("{archive}: {check}: {message}")]
pub struct CheckError {
    pub archive: String,
    pub check: &'static str,
    pub message: String,
}

/// What [`check`] found.
#[derive(Debug, PartialEq, Eq)]
pub struct Checked {
    /// Entries before the trailer.
    pub entries: usize,
}

/// The architecture `object` reports, as the rules name it.
fn arch_name(arch: object::Architecture) -> Option<&'static str> {
    match arch {
        object::Architecture::X86_64 => Some("x86_64"),
        object::Architecture::Aarch64 => Some("aarch64"),
        _ => None,
    }
}

/// Checks `archive` (uncompressed cpio bytes, named `name` in errors): it
/// parses, everything is root's, and `init` (a path in the archive, e.g.
/// `init`) is a static executable ELF for `arch` (`x86_64` or `aarch64`).
pub fn check(name: &str, archive: &[u8], init: &str, arch: &str) -> Result<Checked, CheckError> {
    let fail = |check: &'static str, message: String| CheckError {
        archive: name.to_owned(),
        check,
        message,
    };
    const PARSES: &str = "the cpio archive parses";
    let wanted = init.trim_start_matches('/');
    let mut rest = archive;
    let mut entries = 0;
    let mut found_init = false;
    loop {
        if rest.is_empty() {
            return Err(fail(
                PARSES,
                format!("it ends after {entries} entries without a TRAILER!!! entry"),
            ));
        }
        let mut reader = cpio::newc::Reader::new(rest)
            .map_err(|e| fail(PARSES, format!("entry {}: {e}", entries + 1)))?;
        let entry = reader.entry().clone();
        if entry.is_trailer() {
            break;
        }
        entries += 1;
        let path = entry
            .name()
            .trim_start_matches("./")
            .trim_start_matches('/');
        if entry.uid() != 0 || entry.gid() != 0 {
            return Err(fail(
                "every entry is owned by root",
                format!("{path} is owned by {}:{}", entry.uid(), entry.gid()),
            ));
        }
        let mut data = Vec::new();
        reader
            .read_to_end(&mut data)
            .map_err(|e| fail(PARSES, format!("{path}: {e}")))?;
        if data.len() as u64 != u64::from(entry.file_size()) {
            return Err(fail(
                PARSES,
                format!(
                    "{path}: {} bytes declared, {} present (truncated)",
                    entry.file_size(),
                    data.len()
                ),
            ));
        }
        if path == wanted {
            found_init = true;
            check_init(path, entry.mode(), &data, arch).map_err(|m| fail(INIT, m))?;
        }
        rest = reader
            .finish()
            .map_err(|e| fail(PARSES, format!("{path}: {e}")))?;
    }
    if !found_init {
        return Err(fail(INIT, format!("there is no {wanted}")));
    }
    Ok(Checked { entries })
}

const INIT: &str = "init is a static executable of the VM's arch";

fn check_init(path: &str, mode: u32, data: &[u8], arch: &str) -> Result<(), String> {
    const S_IFMT: u32 = 0o170000;
    const S_IFREG: u32 = 0o100000;
    if mode & S_IFMT != S_IFREG {
        return Err(format!("{path} is not a regular file (mode {mode:06o})"));
    }
    if mode & 0o111 == 0 {
        return Err(format!(
            "{path} has mode {:04o}: it is not executable",
            mode & 0o7777
        ));
    }
    use object::Object as _;
    let machine = object::File::parse(data)
        .map_err(|_| format!("{path} is not an ELF file"))?
        .architecture();
    if arch_name(machine) != Some(arch) {
        return Err(format!(
            "{path} is an ELF for {machine:?}, the VM is {arch}"
        ));
    }
    crate::check_static_elf(data).map_err(|e| format!("{path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One newc entry (mode, uid, data) into `out`.
    fn entry(out: &mut Vec<u8>, name: &str, mode: u32, uid: u32, data: &[u8]) {
        let builder = cpio::newc::Builder::new(name).mode(mode).uid(uid);
        let mut writer = builder.write(&mut *out, data.len() as u32);
        std::io::Write::write_all(&mut writer, data).unwrap();
        writer.finish().unwrap();
    }

    fn archive(edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        entry(&mut out, "dev", 0o040755, 0, b"");
        edit(&mut out);
        cpio::newc::trailer(&mut out).unwrap();
        out
    }

    /// A minimal static ELF64 executable for `machine` (62 x86_64, 183 aarch64).
    fn elf(machine: u16) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        (h[4], h[5], h[6]) = (2, 1, 1);
        h[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        h[52..54].copy_from_slice(&64u16.to_le_bytes());
        h
    }

    fn err(archive: &[u8], arch: &str) -> String {
        check("initramfs.cpio.zst", archive, "init", arch)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_sound_archive_passes() {
        let a = archive(|o| entry(o, "init", 0o100755, 0, &elf(62)));
        assert_eq!(
            check("i", &a, "/init", "x86_64").unwrap(),
            Checked { entries: 2 }
        );
    }

    #[test]
    fn each_check_fires_and_names_the_entry() {
        let e = err(&archive(|_| {}), "x86_64");
        assert!(
            e.ends_with("init is a static executable of the VM's arch: there is no init"),
            "{e}"
        );
        let e = err(
            &archive(|o| entry(o, "init", 0o100644, 0, &elf(62))),
            "x86_64",
        );
        assert!(
            e.contains("init has mode 0644: it is not executable"),
            "{e}"
        );
        let e = err(
            &archive(|o| entry(o, "init", 0o100755, 0, &elf(62))),
            "aarch64",
        );
        assert!(
            e.contains("init is an ELF for X86_64, the VM is aarch64"),
            "{e}"
        );
        let e = err(
            &archive(|o| entry(o, "init", 0o100755, 0, b"#!/bin/sh\n")),
            "x86_64",
        );
        assert!(e.contains("init is not an ELF file"), "{e}");
        let e = err(&archive(|o| entry(o, "etc", 0o040755, 1000, b"")), "x86_64");
        assert!(
            e.contains("every entry is owned by root: etc is owned by 1000:0"),
            "{e}"
        );
    }

    #[test]
    fn truncated_and_garbage_archives_do_not_parse() {
        let a = archive(|o| entry(o, "init", 0o100755, 0, &elf(62)));
        let e = err(&a[..a.len() - 130], "x86_64");
        assert!(
            e.starts_with("initramfs.cpio.zst: the cpio archive parses: "),
            "{e}"
        );
        let e = err(b"garbage", "x86_64");
        assert!(e.contains("the cpio archive parses: entry 1"), "{e}");
        let e = err(b"", "x86_64");
        assert!(e.contains("without a TRAILER!!! entry"), "{e}");
    }
}
