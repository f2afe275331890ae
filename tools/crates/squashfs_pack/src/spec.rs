//! The pack spec: what goes into an image, and how it is compressed.
//!
//! ```json
//! {
//!   "compression": {"algorithm": "zstd", "level": 15},
//!   "block_size": 131072,
//!   "mtime": 0,
//!   "max_expanded_bytes": 4294967296,
//!   "entries": [
//!     {"type": "dir", "path": "common/root/etc"},
//!     {"type": "file", "path": "common/root/etc/hosts", "source": "hosts", "mode": 420},
//!     {"type": "symlink", "path": "lib", "target": "usr/lib"},
//!     {"type": "deb", "source": "libc6.deb", "prefix": "libc/glibc2.35/x86_64/root",
//!      "strip": ["usr/share/doc"]},
//!     {"type": "tar", "source": "extra.tar.zst", "prefix": "opt"},
//!     {"type": "tree", "path": "opt/tool", "source": "bazel-out/tool_dir"}
//!   ]
//! }
//! ```
//!
//! Entry paths are relative to the image root; `source` paths are relative to
//! the directory the tool runs in. Unknown keys are errors.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A compression algorithm and its level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "algorithm", rename_all = "lowercase", deny_unknown_fields)]
pub enum Compression {
    /// Levels 1..=22; mksquashfs's default is 15.
    Zstd { level: u32 },
    /// Presets 0..=9.
    Xz { level: u32 },
    /// Levels 1..=9.
    Gzip { level: u32 },
}

impl Default for Compression {
    fn default() -> Self {
        Compression::Zstd { level: 15 }
    }
}

fn default_block_size() -> u32 {
    128 * 1024
}

/// The whole spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    #[serde(default)]
    pub compression: Compression,
    /// A power of two from 4 KiB to 1 MiB.
    #[serde(default = "default_block_size")]
    pub block_size: u32,
    /// The one modification time of every inode and of the image.
    #[serde(default)]
    pub mtime: u32,
    /// How many bytes one .deb's data.tar (or one tar entry) may expand to
    /// once decompressed; past it, the pack fails naming the archive. The
    /// default is 4 GiB. Every file of a tar or .deb waits in a temporary
    /// spill file until the image is written, so this also bounds the disk
    /// one archive takes there.
    #[serde(default = "default_max_expanded_bytes")]
    pub max_expanded_bytes: u64,
    pub entries: Vec<Entry>,
}

fn default_max_expanded_bytes() -> u64 {
    decompress::DEFAULT_LIMIT
}

/// One source of image content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Entry {
    /// A directory (parents are made as needed, mode 0755).
    Dir {
        path: String,
        #[serde(default = "dir_mode")]
        mode: u16,
    },
    /// A regular file copied from `source`.
    File {
        path: String,
        source: PathBuf,
        #[serde(default = "file_mode")]
        mode: u16,
    },
    /// A symlink, whose target is stored verbatim.
    Symlink { path: String, target: String },
    /// Every entry of a tar archive (plain, xz, zst or gz), under `prefix`, minus `strip`.
    Tar {
        source: PathBuf,
        #[serde(default)]
        prefix: String,
        #[serde(default)]
        strip: Vec<String>,
    },
    /// A directory tree from disk, under `path`. Modes are normalized (0755
    /// for directories and executables, 0644 otherwise) so that the umask
    /// does not leak in; symlinks are kept verbatim.
    Tree { path: String, source: PathBuf },
    /// The symlinks and empty files of a [`TreeAdditions`] JSON file (what
    /// `actiond-tool runtime derive --additions` writes), under `prefix`.
    Additions {
        source: PathBuf,
        #[serde(default)]
        prefix: String,
    },
    /// Every entry of a .deb's data.tar, under `prefix`, minus `strip`.
    Deb {
        source: PathBuf,
        #[serde(default)]
        prefix: String,
        /// '/'-separated patterns; `*` matches one component; a match drops
        /// the path and everything below it.
        #[serde(default)]
        strip: Vec<String>,
    },
}

/// An image assembled from sources compressed apart (`squashfs-compress`
/// writes each source's blocks and index from a [`Spec`] of its entries),
/// plus entries of its own, compressed during assembly:
///
/// ```json
/// {
///   "compression": {"algorithm": "zstd", "level": 15},
///   "block_size": 131072,
///   "mtime": 0,
///   "entries": [{"type": "file", "path": "etc/hosts", "source": "hosts"}],
///   "sources": [{"index": "libc6.index.json", "blocks": "libc6.blocks"}]
/// }
/// ```
///
/// The entries come first, then the sources in order; each source must have
/// been compressed with the image's compression and block size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssembleSpec {
    #[serde(default)]
    pub compression: Compression,
    #[serde(default = "default_block_size")]
    pub block_size: u32,
    #[serde(default)]
    pub mtime: u32,
    #[serde(default)]
    pub entries: Vec<Entry>,
    pub sources: Vec<SourceFiles>,
}

/// One source's index and blocks file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFiles {
    pub index: PathBuf,
    pub blocks: PathBuf,
}

impl Entry {
    /// Whether the entry is a source of its own when an image is made in
    /// parts: each .deb, tar and tree is compressed apart; the other entries
    /// are the image's own, compressed when it is assembled. The rules split
    /// a spec the same way (`_SOURCE_TYPES` in rules/private/squashfs.bzl).
    pub fn is_source(&self) -> bool {
        matches!(
            self,
            Entry::Deb { .. } | Entry::Tar { .. } | Entry::Tree { .. }
        )
    }

    /// The file or directory the entry reads, if any.
    pub fn source(&self) -> Option<&std::path::Path> {
        match self {
            Entry::File { source, .. }
            | Entry::Tar { source, .. }
            | Entry::Tree { source, .. }
            | Entry::Additions { source, .. }
            | Entry::Deb { source, .. } => Some(source),
            Entry::Dir { .. } | Entry::Symlink { .. } => None,
        }
    }
}

/// What a runtime adds to the tree of its .debs, as a JSON file:
///
/// ```json
/// {"symlinks": {"lib": "usr/lib"}, "empty_files": ["etc/hosts"]}
/// ```
///
/// `symlinks` maps a path to its target (stored verbatim), such as a
/// usrmerged runtime's `lib -> usr/lib`; `empty_files` are mount points
/// (mode 0644), such as those of an image's `common/root` files.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeAdditions {
    pub symlinks: std::collections::BTreeMap<String, String>,
    pub empty_files: Vec<String>,
}

fn dir_mode() -> u16 {
    0o755
}

fn file_mode() -> u16 {
    0o644
}
