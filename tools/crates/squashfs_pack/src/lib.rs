//! `squashfs_pack`: reproducible SquashFS images.
//!
//! A [`Spec`] lists directories, files, symlinks and .debs; [`build_tree`]
//! gathers them, streaming each .deb's `data.tar.*` straight from the
//! archive. [`write_image`] writes a tree as an image in one go. An image can
//! also be made in parts that are cached apart: [`compress_source`] turns
//! each source's entries into compressed blocks and an index, and
//! [`assemble_image`] lays several of those out as one image. Either way:
//! uid/gid 0, one mtime, entries sorted, identical files stored once, and the
//! same bytes for any thread count, time zone, umask, locale or working
//! directory.

pub mod assemble;
pub mod blocks;
mod compress;
pub mod deb;
mod format;
pub mod spec;
mod spill;
pub mod strip;
pub mod tree;
mod write;

pub use compress::BlockCompressor;
pub use spec::{AssembleSpec, Compression, Entry, SourceFiles, Spec, TreeAdditions};
pub use tree::Tree;
pub use write::{write_image, Stats};

use std::path::Path;
use tree::{clean_path, Content, Node};

/// Errors that name the input or image path, and the reason.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("image path {path:?}: {message}")]
    Conflict { path: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("spec: {0}")]
    Spec(String),
    #[error("writing the image: {0}")]
    Write(String),
}

impl Error {
    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }
}

/// Reads and parses a JSON file; unknown keys are errors.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path.display(), e))?;
    serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| Error::Input {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

impl Spec {
    /// Reads and parses a spec file; unknown keys are errors.
    pub fn read(path: &Path) -> Result<Spec, Error> {
        read_json(path)
    }
}

/// Compresses the entries of `spec` as one source: writes its blocks to
/// `blocks` and returns its index. With `share_cores`, threads beyond the
/// first compress only while the machine has an idle core, for a build tool
/// that runs one such action per core.
pub fn compress_source(
    spec: &Spec,
    base: &Path,
    threads: usize,
    share_cores: bool,
    blocks: impl std::io::Write,
) -> Result<blocks::Index, Error> {
    let compressor = BlockCompressor::new(spec.compression, spec.block_size)?;
    let tree = build_tree(spec, base, threads)?;
    blocks::compress_tree(tree, &compressor, threads, share_cores, blocks)
}

/// Compresses `tree` into a temporary blocks file, as a source named `name`.
fn temporary_source(
    tree: Tree,
    compressor: &BlockCompressor,
    threads: usize,
    name: &str,
) -> Result<assemble::Source, Error> {
    use std::io::Seek;
    let tmp = "a temporary blocks file";
    let mut blocks = tempfile::tempfile().map_err(|e| Error::io(tmp, e))?;
    let index = blocks::compress_tree(
        tree,
        compressor,
        threads,
        false,
        std::io::BufWriter::new(&blocks),
    )?;
    blocks
        .seek(std::io::SeekFrom::Start(0))
        .map_err(|e| Error::io(tmp, e))?;
    Ok(assemble::Source {
        index_name: format!("the index of {name}"),
        blocks_name: format!("the blocks of {name}"),
        index,
        blocks,
    })
}

/// The spec of some of `spec`'s entries.
fn part(spec: &Spec, entries: Vec<Entry>) -> Spec {
    Spec {
        entries,
        ..spec.clone()
    }
}

/// Writes the image of `spec` into `out`, laid out as the same spec split
/// into sources and assembled would be (each .deb, tar and tree a source of
/// its own, after the other entries): the bytes are the same either way.
/// Returns the image's size.
pub fn pack_image(
    spec: &Spec,
    base: &Path,
    threads: usize,
    out: impl std::io::Write + std::io::Seek,
) -> Result<u64, Error> {
    let compressor = BlockCompressor::new(spec.compression, spec.block_size)?;
    let (sources, own): (Vec<Entry>, Vec<Entry>) =
        spec.entries.iter().cloned().partition(Entry::is_source);
    let mut parts = Vec::with_capacity(sources.len() + 1);
    if !own.is_empty() {
        let tree = build_tree(&part(spec, own), base, threads)?;
        parts.push(temporary_source(
            tree,
            &compressor,
            threads,
            "the spec's own entries",
        )?);
    }
    for entry in sources {
        let name = entry
            .source()
            .map_or(String::new(), |p| p.display().to_string());
        let tree = build_tree(&part(spec, vec![entry]), base, threads)?;
        parts.push(temporary_source(tree, &compressor, threads, &name)?);
    }
    assemble::assemble(parts, &compressor, spec.mtime, out)
}

/// Assembles the image of `spec`, whose paths are relative to `base`, into
/// `out`, compressing its own entries on `threads` threads; returns its size.
pub fn assemble_image(
    spec: &AssembleSpec,
    base: &Path,
    threads: usize,
    out: impl std::io::Write + std::io::Seek,
) -> Result<u64, Error> {
    let compressor = BlockCompressor::new(spec.compression, spec.block_size)?;
    let mut sources = Vec::with_capacity(spec.sources.len() + 1);
    if !spec.entries.is_empty() {
        let own = Spec {
            compression: spec.compression,
            block_size: spec.block_size,
            mtime: spec.mtime,
            max_expanded_bytes: decompress::DEFAULT_LIMIT,
            entries: spec.entries.clone(),
        };
        let tree = build_tree(&own, base, threads)?;
        sources.push(temporary_source(
            tree,
            &compressor,
            threads,
            "the spec's own entries",
        )?);
    }
    for s in &spec.sources {
        let (index, blocks) = (base.join(&s.index), base.join(&s.blocks));
        sources.push(assemble::Source {
            index_name: index.display().to_string(),
            blocks_name: blocks.display().to_string(),
            index: read_json(&index)?,
            blocks: std::fs::File::open(&blocks).map_err(|e| Error::io(blocks.display(), e))?,
        });
    }
    assemble::assemble(sources, &compressor, spec.mtime, out)
}

/// Adds a directory tree from disk under `prefix`, in sorted order.
fn add_tree(tree: &mut Tree, prefix: &str, source: &Path) -> Result<(), Error> {
    let origin = source.display().to_string();
    let mut stack = vec![(source.to_path_buf(), prefix.to_owned())];
    tree.insert(prefix, Node::Dir { mode: 0o755 }, &origin)?;
    while let Some((dir, at)) = stack.pop() {
        let mut children: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(dir.display(), e))?
            .collect::<Result<_, _>>()
            .map_err(|e| Error::io(dir.display(), e))?;
        children.sort_by_key(|c| c.file_name());
        for child in children {
            let name = child.file_name().into_string().map_err(|n| Error::Input {
                path: origin.clone(),
                message: format!("{n:?} is not UTF-8"),
            })?;
            let path = clean_path(&if at.is_empty() {
                name.clone()
            } else {
                format!("{at}/{name}")
            })
            .map_err(|m| Error::Input {
                path: origin.clone(),
                message: m,
            })?;
            let meta = std::fs::symlink_metadata(child.path())
                .map_err(|e| Error::io(child.path().display(), e))?;
            let node = if meta.file_type().is_symlink() {
                let target = std::fs::read_link(child.path())
                    .map_err(|e| Error::io(child.path().display(), e))?;
                Node::Symlink {
                    target: target.into_os_string().into_encoded_bytes(),
                }
            } else if meta.is_dir() {
                stack.push((child.path(), path.clone()));
                Node::Dir { mode: 0o755 }
            } else if meta.is_file() {
                use std::os::unix::fs::PermissionsExt;
                let mode = if meta.permissions().mode() & 0o100 != 0 {
                    0o755
                } else {
                    0o644
                };
                Node::File {
                    mode,
                    content: Content::Path(child.path()),
                }
            } else {
                return Err(Error::Input {
                    path: child.path().display().to_string(),
                    message: "not a file, directory or symlink".into(),
                });
            };
            tree.insert(&path, node, &origin)?;
        }
    }
    Ok(())
}

/// Reads a tar or .deb entry's archive (on a worker thread).
fn read_archive(entry: &Entry, base: &Path, limit: u64) -> Option<Result<deb::Archive, Error>> {
    match entry {
        Entry::Deb {
            source,
            prefix,
            strip,
        } => Some(deb::read_deb(&base.join(source), prefix, strip, limit)),
        Entry::Tar {
            source,
            prefix,
            strip,
        } => Some((|| {
            let source = base.join(source);
            let name = source.display().to_string();
            let file = std::fs::File::open(&source).map_err(|e| Error::io(&name, e))?;
            let (_, reader) = decompress::open(file).map_err(|e| Error::Input {
                path: name.clone(),
                message: e.to_string(),
            })?;
            deb::read_tar(reader, prefix, strip, &name, limit)
        })()),
        _ => None,
    }
}

/// Gathers the spec's entries into a tree; `base` resolves relative sources.
///
/// Tars and .debs are read (and decompressed) on `threads` threads, then
/// added in spec order, so the tree does not depend on the thread count.
pub fn build_tree(spec: &Spec, base: &Path, threads: usize) -> Result<Tree, Error> {
    let slots: Vec<std::sync::Mutex<Option<Result<deb::Archive, Error>>>> = spec
        .entries
        .iter()
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(entry) = spec.entries.get(i) else {
                    break;
                };
                if let Some(read) = read_archive(entry, base, spec.max_expanded_bytes) {
                    *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(read);
                }
            });
        }
    });
    let mut tree = Tree::default();
    for (i, (entry, slot)) in spec.entries.iter().zip(slots).enumerate() {
        let at =
            |path: &str| clean_path(path).map_err(|m| Error::Spec(format!("entry {i}: path {m}")));
        if let Some(archive) = slot.into_inner().unwrap_or_else(|p| p.into_inner()) {
            archive?.add_to(&mut tree)?;
            continue;
        }
        match entry {
            Entry::Dir { path, mode } => tree.insert(
                &at(path)?,
                Node::Dir { mode: *mode },
                &format!("spec entry {i} (dir)"),
            )?,
            Entry::File { path, source, mode } => {
                let source = base.join(source);
                let meta =
                    std::fs::metadata(&source).map_err(|e| Error::io(source.display(), e))?;
                if !meta.is_file() {
                    return Err(Error::Input {
                        path: source.display().to_string(),
                        message: "not a regular file".into(),
                    });
                }
                let origin = source.display().to_string();
                tree.insert(
                    &at(path)?,
                    Node::File {
                        mode: *mode,
                        content: Content::Path(source),
                    },
                    &origin,
                )?
            }
            Entry::Symlink { path, target } => tree.insert(
                &at(path)?,
                Node::Symlink {
                    target: target.as_bytes().to_vec(),
                },
                &format!("spec entry {i} (symlink)"),
            )?,
            Entry::Tree { path, source } => add_tree(&mut tree, &at(path)?, &base.join(source))?,
            Entry::Additions { source, prefix } => {
                let source = base.join(source);
                let origin = source.display().to_string();
                let bad = |message: String| Error::Input {
                    path: origin.clone(),
                    message,
                };
                let text = std::fs::read_to_string(&source).map_err(|e| Error::io(&origin, e))?;
                let additions: spec::TreeAdditions = serde_json::from_str(&text).map_err(|e| {
                    bad(format!(
                        "not a JSON object of symlinks (path -> target) and empty_files: {e}"
                    ))
                })?;
                let nodes = additions
                    .symlinks
                    .into_iter()
                    .map(|(path, target)| {
                        let node = Node::Symlink {
                            target: target.into_bytes(),
                        };
                        (path, node)
                    })
                    .chain(additions.empty_files.into_iter().map(|path| {
                        let node = Node::File {
                            mode: 0o644,
                            content: Content::Bytes(Default::default()),
                        };
                        (path, node)
                    }));
                for (path, node) in nodes {
                    let rel = clean_path(&path).map_err(|m| bad(format!("path {m}")))?;
                    tree.insert(&at(&format!("{prefix}/{rel}"))?, node, &origin)?;
                }
            }
            Entry::Deb { .. } | Entry::Tar { .. } => unreachable!("read above"),
        }
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn spec(entries: Vec<Entry>) -> Spec {
        Spec {
            compression: Compression::Zstd { level: 3 },
            block_size: 4096,
            mtime: 0,
            max_expanded_bytes: decompress::DEFAULT_LIMIT,
            entries,
        }
    }

    /// A source directory with a file, an executable, a link and a subdir.
    fn source_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hosts"), "127.0.0.1 localhost\n").unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/tool"), vec![7u8; 50_000]).unwrap();
        std::fs::set_permissions(
            dir.path().join("bin/tool"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        symlink("/usr/bin/tool", dir.path().join("bin/link")).unwrap();
        dir
    }

    fn image(spec: &Spec, base: &Path, threads: usize) -> Vec<u8> {
        let tree = build_tree(spec, base, threads).unwrap();
        let mut out = std::io::Cursor::new(Vec::new());
        let stats = write_image(&tree, spec, threads, &mut out).unwrap();
        let mut bytes = out.into_inner();
        bytes.truncate(stats.bytes as usize);
        bytes
    }

    #[test]
    fn same_bytes_for_any_thread_count_and_umask() {
        let src = source_dir();
        let s = spec(vec![
            Entry::Tree {
                path: "opt".into(),
                source: src.path().into(),
            },
            Entry::File {
                path: "etc/hosts".into(),
                source: "hosts".into(),
                mode: 0o644,
            },
            Entry::Symlink {
                path: "lib".into(),
                target: "usr/lib".into(),
            },
        ]);
        let one = image(&s, src.path(), 1);
        assert_eq!(&one[..4], b"hsqs");
        assert_eq!(one.len() % 4096, 0, "padded to 4 KiB");
        for threads in [2, 8] {
            assert!(one == image(&s, src.path(), threads), "threads={threads}");
        }
        // Another umask on the sources: modes are normalized.
        std::fs::set_permissions(
            src.path().join("bin/tool"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        assert!(one == image(&s, src.path(), 2));
    }

    #[test]
    fn tar_entries_and_missing_sources() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o600);
        b.append_data(&mut h, "a/b.txt", &b"hi"[..]).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&b.into_inner().unwrap()).unwrap();
        std::fs::write(dir.path().join("x.tar.gz"), gz.finish().unwrap()).unwrap();
        let s = spec(vec![Entry::Tar {
            source: "x.tar.gz".into(),
            prefix: "p".into(),
            strip: vec![],
        }]);
        let tree = build_tree(&s, dir.path(), 2).unwrap();
        assert!(matches!(
            tree.get("p/a/b.txt").unwrap().node,
            Node::File { mode: 0o600, .. }
        ));

        let s = spec(vec![Entry::File {
            path: "x".into(),
            source: "missing".into(),
            mode: 0o644,
        }]);
        let err = build_tree(&s, dir.path(), 2).unwrap_err().to_string();
        assert!(
            err.contains("missing") && err.contains("No such file"),
            "{err}"
        );
        let s = spec(vec![Entry::Dir {
            path: "../x".into(),
            mode: 0o755,
        }]);
        assert!(build_tree(&s, dir.path(), 1)
            .unwrap_err()
            .to_string()
            .contains("'..'"));
    }

    #[test]
    fn bad_settings_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let tree = Tree::default();
        let mut s = spec(vec![]);
        s.block_size = 5000;
        let err = write_image(&tree, &s, 1, std::io::Cursor::new(Vec::new()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("power of two"), "{err}");
        s.block_size = 4096;
        s.compression = Compression::Zstd { level: 23 };
        assert!(write_image(&tree, &s, 1, std::io::Cursor::new(Vec::new())).is_err());
        let path = dir.path().join("spec.json");
        std::fs::write(&path, r#"{"entries": [], "compresion": {}}"#).unwrap();
        let err = Spec::read(&path).unwrap_err().to_string();
        assert!(err.contains("unknown field `compresion`"), "{err}");
    }
}
