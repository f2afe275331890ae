//! `sqfs_pack`: reproducible SquashFS images.
//!
//! A [`Spec`] lists directories, files, symlinks and .debs; [`build_tree`]
//! gathers them, streaming each .deb's `data.tar.*` straight from the
//! archive, and [`write_image`] writes the tree with backhand: uid/gid 0, one
//! mtime, entries sorted, and the same bytes for any thread count, time zone,
//! umask, locale or working directory.

pub mod deb;
pub mod spec;
pub mod strip;
pub mod tree;
mod write;

pub use spec::{Compression, Entry, Spec};
pub use tree::Tree;
pub use write::{write_image, CachingCompressor, Stats};

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

impl Spec {
    /// Reads and parses a spec file; unknown keys are errors.
    pub fn read(path: &Path) -> Result<Spec, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.display(), e))?;
        serde_json::from_str(&text).map_err(|e| Error::Input {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

/// Gathers the spec's entries into a tree; `base` resolves relative sources.
pub fn build_tree(spec: &Spec, base: &Path) -> Result<Tree, Error> {
    let mut tree = Tree::default();
    for (i, entry) in spec.entries.iter().enumerate() {
        let at =
            |path: &str| clean_path(path).map_err(|m| Error::Spec(format!("entry {i}: path {m}")));
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
            Entry::Deb {
                source,
                prefix,
                strip,
            } => deb::add_deb(&mut tree, &base.join(source), prefix, strip)?,
        }
    }
    Ok(tree)
}
