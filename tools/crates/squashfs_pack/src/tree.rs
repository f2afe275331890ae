//! The image's tree before it is written: every path once, with the source
//! it came from, so that conflicts can be reported by name.
//!
//! Overlap rule: a path given twice must be given the same way (directories
//! with the same mode, identical files or identical symlinks), except that an
//! implicit parent directory takes the mode of a later explicit one. Anything
//! else, a directory against a file included, is an error naming both sources.

use crate::blocks::StoredFile;
use crate::spill::Region;
use crate::Error;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

/// SquashFS (and Linux) store names of at most 255 bytes.
pub const MAX_NAME: usize = 255;
/// The longest symlink target accepted: the limit of the writer images used
/// to be made with (backhand's), kept so that every image stays readable by
/// the tools that read those.
pub const MAX_SYMLINK_TARGET: usize = 255;

/// Where a file's bytes come from.
#[derive(Clone, Debug)]
pub enum Content {
    /// A file on disk, read when the image is written.
    Path(PathBuf),
    /// Bytes in memory.
    Bytes(Arc<Vec<u8>>),
    /// A member of a .deb or a tar, in its spill file.
    Spilled(Region),
    /// A file already compressed into a source's blocks (when assembling):
    /// known by its size and sha256, not readable.
    Stored(Arc<StoredFile>),
}

impl Content {
    /// The bytes, read from disk if need be.
    pub fn read(&self) -> std::io::Result<Arc<Vec<u8>>> {
        match self {
            Content::Path(p) => Ok(Arc::new(std::fs::read(p)?)),
            Content::Bytes(b) => Ok(b.clone()),
            Content::Spilled(region) => {
                let mut bytes = Vec::new();
                region.reader().read_to_end(&mut bytes)?;
                Ok(Arc::new(bytes))
            }
            Content::Stored(_) => Err(not_readable()),
        }
    }

    /// How many bytes it holds, as far as is known before reading it.
    pub fn byte_len(&self) -> std::io::Result<u64> {
        Ok(match self {
            Content::Path(p) => std::fs::metadata(p)?.len(),
            Content::Bytes(b) => b.len() as u64,
            Content::Spilled(region) => region.len(),
            Content::Stored(stored) => stored.size,
        })
    }

    /// A reader of the bytes (a file on disk is opened, not read whole).
    pub fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(match self {
            Content::Path(p) => Box::new(std::fs::File::open(p)?),
            Content::Bytes(b) => Box::new(&b[..]),
            Content::Spilled(region) => Box::new(region.reader()),
            Content::Stored(_) => return Err(not_readable()),
        })
    }
}

fn not_readable() -> std::io::Error {
    std::io::Error::other("only the compressed blocks of this file are at hand")
}

/// Fills `buf` from `reader` as far as it goes; returns how much it read.
pub(crate) fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Whether `a` (from `a_origin`) and `b` hold the same bytes, compared a
/// chunk at a time rather than read whole.
fn same_bytes(a: &Content, a_origin: &str, b: &Content, b_origin: &str) -> Result<bool, Error> {
    match (a, b) {
        (Content::Bytes(x), Content::Bytes(y)) => return Ok(x == y),
        (Content::Spilled(x), Content::Spilled(y)) if x.same_as(y) => return Ok(true),
        (Content::Stored(x), Content::Stored(y)) => {
            return Ok(x.size == y.size && x.sha256 == y.sha256)
        }
        _ => {}
    }
    let mut ra = a.open().map_err(|e| Error::io(a_origin, e))?;
    let mut rb = b.open().map_err(|e| Error::io(b_origin, e))?;
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let na = read_full(&mut ra, &mut ba).map_err(|e| Error::io(a_origin, e))?;
        let nb = read_full(&mut rb, &mut bb).map_err(|e| Error::io(b_origin, e))?;
        if ba[..na] != bb[..nb] {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }
}

/// One node of the tree.
#[derive(Clone, Debug)]
pub enum Node {
    Dir { mode: u16 },
    File { mode: u16, content: Content },
    Symlink { target: Vec<u8> },
}

impl Node {
    fn kind(&self) -> &'static str {
        match self {
            Node::Dir { .. } => "a directory",
            Node::File { .. } => "a file",
            Node::Symlink { .. } => "a symlink",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Item {
    pub node: Node,
    /// The spec entry or .deb it came from; "" for an implicit parent.
    pub origin: String,
}

/// Paths (relative, no leading '/') to nodes, sorted.
#[derive(Debug, Default)]
pub struct Tree {
    pub items: BTreeMap<String, Item>,
}

/// Checks a relative image path and returns it without `./` or trailing '/'.
pub fn clean_path(raw: &str) -> Result<String, String> {
    if raw.starts_with('/') {
        return Err(format!(
            "{raw:?} is absolute; image paths are relative to the image root"
        ));
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => continue,
            ".." => return Err(format!("{raw:?} contains '..'")),
            p if p.len() > MAX_NAME => {
                return Err(format!("{raw:?}: the name {p:?} is longer than {MAX_NAME} bytes, which SquashFS cannot store"))
            }
            p if p.contains('\0') => return Err(format!("{raw:?} contains a NUL byte")),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

impl Tree {
    /// Adds `node` at `path` (already cleaned), making parents as needed.
    pub fn insert(&mut self, path: &str, node: Node, origin: &str) -> Result<(), Error> {
        let conflict = |msg: String| Error::Conflict {
            path: path.to_owned(),
            message: msg,
        };
        if path.is_empty() {
            return match node {
                Node::Dir { .. } => Ok(()),
                _ => Err(conflict(format!(
                    "{origin} puts {} at the image root",
                    node.kind()
                ))),
            };
        }
        if let Node::Symlink { target } = &node {
            if target.len() > MAX_SYMLINK_TARGET || target.is_empty() {
                return Err(conflict(format!(
                    "{origin}: symlink target of {} bytes; 1 to {MAX_SYMLINK_TARGET} are supported",
                    target.len()
                )));
            }
        }
        // Parents: directories, made implicitly when missing.
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            let parent = &path[..end + i];
            match self.items.get(parent) {
                None => {
                    self.items.insert(
                        parent.to_owned(),
                        Item {
                            node: Node::Dir { mode: 0o755 },
                            origin: String::new(),
                        },
                    );
                }
                Some(Item {
                    node: Node::Dir { .. },
                    ..
                }) => {}
                Some(other) => {
                    return Err(conflict(format!(
                        "{origin} puts it below {parent:?}, which is {} from {}",
                        other.node.kind(),
                        other.origin
                    )))
                }
            }
            end += i + 1;
        }
        let Some(existing) = self.items.get_mut(path) else {
            self.items.insert(
                path.to_owned(),
                Item {
                    node,
                    origin: origin.to_owned(),
                },
            );
            return Ok(());
        };
        let same = match (&existing.node, &node) {
            (Node::Dir { mode: a }, Node::Dir { mode: b }) => {
                if existing.origin.is_empty() || a == b {
                    existing.node = node.clone();
                    existing.origin = origin.to_owned();
                    return Ok(());
                }
                false
            }
            (Node::Symlink { target: a }, Node::Symlink { target: b }) => a == b,
            (
                Node::File {
                    mode: ma,
                    content: a,
                },
                Node::File {
                    mode: mb,
                    content: b,
                },
            ) => ma == mb && same_bytes(a, &existing.origin, b, origin)?,
            _ => false,
        };
        if same {
            return Ok(());
        }
        let from = if existing.origin.is_empty() {
            "an implicit parent".to_owned()
        } else {
            existing.origin.clone()
        };
        Err(conflict(format!(
            "{origin} gives {} but {from} already gave {} (a different one)",
            node.kind(),
            existing.node.kind()
        )))
    }

    /// The node at `path`, if any.
    pub fn get(&self, path: &str) -> Option<&Item> {
        self.items.get(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> Node {
        Node::File {
            mode: 0o644,
            content: Content::Bytes(Arc::new(bytes.to_vec())),
        }
    }

    #[test]
    fn clean_paths() {
        assert_eq!(clean_path("./usr/lib/").unwrap(), "usr/lib");
        assert_eq!(clean_path("a//b").unwrap(), "a/b");
        assert!(clean_path("/etc").unwrap_err().contains("absolute"));
        assert!(clean_path("usr/../etc").unwrap_err().contains(".."));
        assert!(clean_path(&"x".repeat(256))
            .unwrap_err()
            .contains("longer than 255"));
    }

    #[test]
    fn parents_are_made_and_identical_entries_merge() {
        let mut t = Tree::default();
        t.insert("usr/lib/libc.so.6", file(b"libc"), "a.deb")
            .unwrap();
        assert!(matches!(
            t.get("usr").unwrap().node,
            Node::Dir { mode: 0o755 }
        ));
        t.insert("usr/lib/libc.so.6", file(b"libc"), "b.deb")
            .unwrap();
        t.insert("usr", Node::Dir { mode: 0o700 }, "c.deb").unwrap();
        assert!(matches!(
            t.get("usr").unwrap().node,
            Node::Dir { mode: 0o700 }
        ));
        assert_eq!(t.items.len(), 3);
    }

    #[test]
    fn conflicts_name_both_sources() {
        let mut t = Tree::default();
        t.insert(
            "lib",
            Node::Symlink {
                target: b"usr/lib".to_vec(),
            },
            "spec symlink",
        )
        .unwrap();
        let err = t
            .insert("lib/x86_64-linux-gnu/libc.so.6", file(b"x"), "libc6.deb")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("lib/x86_64-linux-gnu/libc.so.6")
                && err.contains("a symlink from spec symlink"),
            "{err}"
        );

        t.insert("etc/hosts", file(b"one"), "a.deb").unwrap();
        let err = t
            .insert("etc/hosts", file(b"two"), "b.deb")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("b.deb gives a file but a.deb already gave a file"),
            "{err}"
        );
        let err = t
            .insert("etc/hosts", Node::Dir { mode: 0o755 }, "c.deb")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("c.deb gives a directory but a.deb already gave a file"),
            "{err}"
        );
        t.insert("etc/d", Node::Dir { mode: 0o755 }, "a.deb")
            .unwrap();
        assert!(t
            .insert("etc/d", Node::Dir { mode: 0o700 }, "b.deb")
            .is_err());
    }

    #[test]
    fn long_symlink_targets_are_refused() {
        let mut t = Tree::default();
        let err = t
            .insert(
                "l",
                Node::Symlink {
                    target: vec![b'a'; 256],
                },
                "x.deb",
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("256 bytes"), "{err}");
        t.insert(
            "l",
            Node::Symlink {
                target: vec![b'a'; 255],
            },
            "x.deb",
        )
        .unwrap();
    }
}
