//! Deterministic initramfs archives: cpio "newc", compressed with zstd.
//!
//! Entries are sorted by path, parents come first (made as needed, 0755),
//! inode numbers are sequential from 1 in that order, and every entry has
//! mtime 0, uid 0 and gid 0. The archive depends only on the spec and the
//! files' bytes. The `init` entry must be a statically linked ELF: an
//! initramfs has no loader or libc to run anything else, so a dynamic one
//! is an error, not a warning.
//!
//! ```json
//! {"init": "init", "level": 19, "entries": [
//!   {"type": "file", "path": "init", "source": "guest", "mode": 493},
//!   {"type": "dir", "path": "proc"},
//!   {"type": "symlink", "path": "sbin/init", "target": "/init"}
//! ]}
//! ```

pub mod check;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One entry of the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Entry {
    Dir {
        path: String,
        #[serde(default = "dir_mode")]
        mode: u32,
    },
    File {
        path: String,
        source: PathBuf,
        #[serde(default = "file_mode")]
        mode: u32,
    },
    Symlink {
        path: String,
        target: String,
    },
}

fn dir_mode() -> u32 {
    0o755
}

fn file_mode() -> u32 {
    0o644
}

fn default_level() -> i32 {
    19
}

/// What goes into the archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The path of the entry the kernel runs; it must be a static ELF.
    #[serde(default)]
    pub init: Option<String>,
    /// zstd level of the archive.
    #[serde(default = "default_level")]
    pub level: i32,
    pub entries: Vec<Entry>,
}

/// Errors naming the entry or file and the reason.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Compress(#[from] zstd_compress::Error),
}

fn input(path: impl std::fmt::Display, message: impl Into<String>) -> Error {
    Error::Input {
        path: path.to_string(),
        message: message.into(),
    }
}

enum Node {
    Dir(u32),
    File(u32, Vec<u8>),
    Symlink(String),
}

/// A relative path without `.`, `..`, empty parts or a leading '/'.
fn clean(path: &str) -> Result<String, String> {
    if path.starts_with('/') {
        return Err("absolute; initramfs paths are relative to its root".into());
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return Err("contains '..'".into());
    }
    if path.contains('\0') {
        return Err("contains a NUL byte, which ends a cpio name".into());
    }
    if parts.is_empty() {
        return Err("empty".into());
    }
    if parts[0] == "TRAILER!!!" {
        // The name of cpio's end marker, for this entry or for the parent
        // directory made for it: the kernel would stop reading there.
        return Err("starts with the name cpio gives its end marker (TRAILER!!!)".into());
    }
    Ok(parts.join("/"))
}

/// Whether the ELF file `bytes` (of header type `H`) has a PT_INTERP segment.
fn has_interp<H: object::read::elf::FileHeader<Endian = object::Endianness>>(
    bytes: &[u8],
) -> Result<bool, String> {
    use object::read::elf::ProgramHeader;
    let header = H::parse(bytes).map_err(|e| e.to_string())?;
    let endian = header.endian().map_err(|e| e.to_string())?;
    let headers = header
        .program_headers(endian, bytes)
        .map_err(|e| e.to_string())?;
    Ok(headers
        .iter()
        .any(|ph| ph.p_type(endian) == object::elf::PT_INTERP))
}

/// Checks that `bytes` is a statically linked ELF executable.
pub fn check_static_elf(bytes: &[u8]) -> Result<(), String> {
    let interp = match object::FileKind::parse(bytes).map_err(|_| "not an ELF file".to_string())? {
        object::FileKind::Elf64 => {
            has_interp::<object::elf::FileHeader64<object::Endianness>>(bytes)?
        }
        object::FileKind::Elf32 => {
            has_interp::<object::elf::FileHeader32<object::Endianness>>(bytes)?
        }
        _ => return Err("not an ELF file".into()),
    };
    if interp {
        return Err("dynamically linked (it has a PT_INTERP loader), but an initramfs has no libc: link it statically".into());
    }
    Ok(())
}

/// Writes the spec's archive (uncompressed cpio) into `out`; sources are
/// relative to `base`.
pub fn write_cpio<W: Write>(spec: &Spec, base: &Path, out: W) -> Result<W, Error> {
    write_cpio_with(
        spec,
        |source| {
            let source = base.join(source);
            std::fs::read(&source).map_err(|e| Error::Io {
                path: source.display().to_string(),
                source: e,
            })
        },
        out,
    )
}

/// [`write_cpio`], with the bytes of each file entry's `source` given by
/// `read_source` (for tests and fuzzing, which keep files in memory).
pub fn write_cpio_with<W: Write>(
    spec: &Spec,
    mut read_source: impl FnMut(&Path) -> Result<Vec<u8>, Error>,
    mut out: W,
) -> Result<W, Error> {
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    for entry in &spec.entries {
        let (path, node) = match entry {
            Entry::Dir { path, mode } => (path, Node::Dir(*mode)),
            Entry::File { path, source, mode } => (path, Node::File(*mode, read_source(source)?)),
            Entry::Symlink { path, target } => (path, Node::Symlink(target.clone())),
        };
        let clean_path = clean(path).map_err(|m| input(format!("entry {path:?}"), m))?;
        match &node {
            // Only permission bits: the file type comes from the entry's type.
            Node::Dir(mode) | Node::File(mode, _) if mode & !0o7777 != 0 => {
                return Err(input(
                    format!("entry {path:?}"),
                    format!("mode {mode:#o} has bits beyond 0o7777 (permissions only)"),
                ))
            }
            Node::Symlink(target) if target.is_empty() || target.contains('\0') => {
                return Err(input(
                    format!("entry {path:?}"),
                    "a symlink target must be non-empty and without NUL bytes",
                ))
            }
            _ => {}
        }
        let mut parent = String::new();
        for part in clean_path
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map(|(_, p)| p.to_vec())
            .unwrap_or_default()
        {
            parent = if parent.is_empty() {
                part.to_owned()
            } else {
                format!("{parent}/{part}")
            };
            match nodes.get(&parent) {
                None => {
                    nodes.insert(parent.clone(), Node::Dir(0o755));
                }
                Some(Node::Dir(_)) => {}
                Some(_) => {
                    return Err(input(
                        format!("entry {path:?}"),
                        format!("its parent {parent:?} is not a directory"),
                    ))
                }
            }
        }
        match nodes.get(&clean_path) {
            Some(Node::Dir(_)) if matches!(node, Node::Dir(_)) => {}
            Some(_) => return Err(input(format!("entry {path:?}"), "duplicate path")),
            None => {}
        }
        nodes.insert(clean_path, node);
    }
    if let Some(init) = &spec.init {
        let init_path = clean(init).map_err(|m| input(format!("init {init:?}"), m))?;
        match nodes.get(&init_path) {
            Some(Node::File(mode, bytes)) => {
                if mode & 0o111 == 0 {
                    return Err(input(
                        format!("init {init:?}"),
                        "not executable (mode has no x bit)",
                    ));
                }
                check_static_elf(bytes).map_err(|m| input(format!("init {init:?}"), m))?;
            }
            _ => {
                return Err(input(
                    format!("init {init:?}"),
                    "no such file among the entries",
                ))
            }
        }
    }
    let io = |e: std::io::Error| Error::Io {
        path: "<archive>".into(),
        source: e,
    };
    for (ino, (path, node)) in nodes.iter().enumerate() {
        let builder = cpio::newc::Builder::new(path)
            .ino(ino as u32 + 1)
            .uid(0)
            .gid(0)
            .mtime(0);
        let (builder, data): (_, &[u8]) = match node {
            Node::Dir(mode) => (builder.mode(0o040000 | mode).nlink(2), &[]),
            Node::File(mode, bytes) => (builder.mode(0o100000 | mode).nlink(1), bytes),
            Node::Symlink(target) => (builder.mode(0o120777).nlink(1), target.as_bytes()),
        };
        let size =
            u32::try_from(data.len()).map_err(|_| input(path, "larger than cpio's 4 GiB limit"))?;
        let mut writer = builder.write(out, size);
        writer.write_all(data).map_err(io)?;
        out = writer.finish().map_err(io)?;
    }
    cpio::newc::trailer(out).map_err(io)
}

/// Writes the archive compressed with zstd (the same bytes for any `threads`).
pub fn write_compressed<W: Write>(
    spec: &Spec,
    base: &Path,
    threads: u32,
    out: W,
) -> Result<W, Error> {
    let cpio = write_cpio(spec, base, Vec::new())?;
    let options = zstd_compress::Options {
        level: spec.level,
        long_distance_matching: false,
        threads,
    };
    Ok(zstd_compress::compress(
        &cpio[..],
        out,
        Some(cpio.len() as u64),
        &options,
    )?)
}

impl Spec {
    /// Reads a spec file; unknown keys are errors.
    pub fn read(path: &Path) -> Result<Spec, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        serde_json::from_str(&text).map_err(|e| input(path.display(), e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn list(archive: &[u8]) -> Vec<(String, u32, u32, u32, Vec<u8>)> {
        let mut out = Vec::new();
        let mut rest = archive;
        loop {
            let mut reader = cpio::newc::Reader::new(rest).unwrap();
            let e = reader.entry().clone();
            if e.is_trailer() {
                break;
            }
            assert_eq!((e.uid(), e.gid(), e.mtime()), (0, 0, 0));
            let mut data = Vec::new();
            reader.read_to_end(&mut data).unwrap();
            out.push((e.name().to_owned(), e.ino(), e.mode(), e.nlink(), data));
            rest = reader.finish().unwrap();
        }
        out
    }

    /// A minimal static ELF64 (no PT_INTERP), and one with a PT_INTERP.
    fn elf(dynamic: bool) -> Vec<u8> {
        let mut b = vec![0u8; 64 + 56];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2; // 64-bit
        b[5] = 1; // little endian
        b[6] = 1;
        b[16] = 2; // ET_EXEC
        b[18] = 0x3e; // x86_64
        b[20] = 1;
        b[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        b[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        b[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        b[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
        let p_type: u32 = if dynamic { 3 } else { 1 };
        b[64..68].copy_from_slice(&p_type.to_le_bytes());
        b
    }

    fn setup(init: Vec<u8>) -> (tempfile::TempDir, Spec) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("guest"), init).unwrap();
        std::fs::write(dir.path().join("prog"), b"program").unwrap();
        let spec = Spec {
            init: Some("init".into()),
            level: 3,
            entries: vec![
                Entry::File {
                    path: "init".into(),
                    source: "guest".into(),
                    mode: 0o755,
                },
                Entry::File {
                    path: "opt/test/prog".into(),
                    source: "prog".into(),
                    mode: 0o755,
                },
                Entry::Dir {
                    path: "proc".into(),
                    mode: 0o555,
                },
                Entry::Symlink {
                    path: "sbin/init".into(),
                    target: "/init".into(),
                },
            ],
        };
        (dir, spec)
    }

    #[test]
    fn sorted_sequential_and_complete() {
        let (dir, spec) = setup(elf(false));
        let archive = write_cpio(&spec, dir.path(), Vec::new()).unwrap();
        let entries = list(&archive);
        let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "init",
                "opt",
                "opt/test",
                "opt/test/prog",
                "proc",
                "sbin",
                "sbin/init"
            ]
        );
        let inos: Vec<u32> = entries.iter().map(|e| e.1).collect();
        assert_eq!(inos, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(entries[0].2, 0o100755);
        assert_eq!(entries[4].2, 0o040555);
        assert_eq!(
            (entries[6].2, entries[6].4.as_slice()),
            (0o120777, &b"/init"[..])
        );
        // The same archive whatever the order of entries in the spec.
        let mut reversed = spec.clone();
        reversed.entries.reverse();
        assert_eq!(
            archive,
            write_cpio(&reversed, dir.path(), Vec::new()).unwrap()
        );
        let one = write_compressed(&spec, dir.path(), 1, Vec::new()).unwrap();
        assert_eq!(
            one,
            write_compressed(&spec, dir.path(), 4, Vec::new()).unwrap()
        );
    }

    #[test]
    fn bad_entries() {
        let (dir, mut spec) = setup(elf(false));
        for (path, want) in [
            ("/etc/x", "absolute"),
            ("a/../b", "'..'"),
            ("init", "duplicate"),
        ] {
            let mut s = spec.clone();
            s.entries.push(Entry::Dir {
                path: path.into(),
                mode: 0o755,
            });
            let err = write_cpio(&s, dir.path(), Vec::new())
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{path}: {err}");
        }
        spec.init = Some("missing".into());
        assert!(write_cpio(&spec, dir.path(), Vec::new())
            .unwrap_err()
            .to_string()
            .contains("no such file"));
    }

    #[test]
    fn modes_beyond_permissions_and_nul_bytes_are_refused() {
        let (dir, spec) = setup(elf(false));
        for (entry, want) in [
            (
                Entry::Dir {
                    path: "d".into(),
                    mode: 0o100755,
                },
                "mode 0o100755 has bits beyond 0o7777",
            ),
            (
                Entry::File {
                    path: "f".into(),
                    source: "prog".into(),
                    mode: 0o20644,
                },
                "mode 0o20644 has bits beyond 0o7777",
            ),
            (
                Entry::Dir {
                    path: "a\0b".into(),
                    mode: 0o755,
                },
                "contains a NUL byte",
            ),
            (
                Entry::Symlink {
                    path: "l".into(),
                    target: String::new(),
                },
                "non-empty and without NUL",
            ),
            (
                Entry::Symlink {
                    path: "l".into(),
                    target: "a\0".into(),
                },
                "non-empty and without NUL",
            ),
        ] {
            let mut s = spec.clone();
            s.entries.push(entry);
            let err = write_cpio(&s, dir.path(), Vec::new())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("entry ") && err.contains(want), "{err}");
        }
    }

    /// Fuzz crashes (tools/fuzz/regressions/cpio_roundtrip/): an entry named
    /// `TRAILER!!!`, cpio's end marker, or one below a top-level
    /// `TRAILER!!!/`, whose parent directory the writer made; sorted before
    /// the others, the kernel (and any cpio reader) stopped there and lost
    /// the rest.
    #[test]
    fn an_entry_named_like_the_end_marker_is_refused() {
        let (dir, mut spec) = setup(elf(false));
        // Also as a parent: the writer would make a `TRAILER!!!` directory.
        for path in ["TRAILER!!!", "./TRAILER!!!/", "TRAILER!!!/y/z"] {
            spec.entries.push(Entry::Dir {
                path: path.into(),
                mode: 0o755,
            });
            let err = write_cpio(&spec, dir.path(), Vec::new())
                .unwrap_err()
                .to_string();
            assert!(err.contains("cpio gives its end marker"), "{err}");
            spec.entries.pop();
        }
        // Below a directory, the name is just a name.
        spec.entries.push(Entry::Dir {
            path: "x/TRAILER!!!".into(),
            mode: 0o755,
        });
        let names: Vec<String> = list(&write_cpio(&spec, dir.path(), Vec::new()).unwrap())
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert!(
            names.contains(&"x/TRAILER!!!".to_owned()) && names.contains(&"sbin/init".to_owned())
        );
    }

    #[test]
    fn specs_with_missing_fields_wrong_types_or_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("initramfs.json");
        for (text, want) in [
            (r#"{"init": "init"}"#, "missing field `entries`"),
            (
                r#"{"entries": [], "level": "19"}"#,
                "invalid type: string \"19\"",
            ),
            (r#"{"entries": [], "int": "init"}"#, "unknown field `int`"),
            (
                r#"{"entries": [{"type": "file", "path": "a"}]}"#,
                "missing field `source`",
            ),
            (
                r#"{"entries": [{"type": "dir", "path": "a", "uid": 0}]}"#,
                "unknown field `uid`",
            ),
            (
                r#"{"entries": [{"type": "device", "path": "a"}]}"#,
                "unknown variant `device`",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = Spec::read(&path).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{}: ", path.display())) && err.contains(want),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn init_must_be_static() {
        let (dir, spec) = setup(elf(true));
        let err = write_cpio(&spec, dir.path(), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("init \"init\": dynamically linked"), "{err}");
        let (dir, spec) = setup(b"#!/bin/sh\n".to_vec());
        assert!(write_cpio(&spec, dir.path(), Vec::new())
            .unwrap_err()
            .to_string()
            .contains("not an ELF"));
    }
}
