//! Writes the tree with backhand, compressing full data blocks ahead of time
//! on several threads.
//!
//! backhand's writer compresses on one thread. Before it runs, every full
//! data block of every file is compressed by a pool of workers with
//! backhand's own compressor, into a cache keyed by the block's sha256. The
//! compressor backhand then calls ([`CachingCompressor`]) returns a cached
//! block when there is one and compresses in place otherwise (metadata,
//! fragments, partial blocks). Either way each block's bytes are what
//! backhand's compressor gives, so the image is the same for any thread
//! count, including one.

use crate::spec::{Compression, Spec};
use crate::tree::{Content, Node, Tree};
use crate::Error;
use backhand::compression::{
    CompressionAction, CompressionOptions, Compressor, DefaultCompressor, Gzip, Zstd,
};
use backhand::kind::Kind;
use backhand::{
    BackhandError, CompressionExtra, ExtraXz, FilesystemCompressor, FilesystemWriter, NodeHeader,
    SuperBlock,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Seek, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What the write did, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes of the image, padding included.
    pub bytes: u64,
    /// Full data blocks compressed ahead of time.
    pub precompressed: usize,
    /// Of those, blocks that backhand then took from the cache.
    pub cache_hits: usize,
}

/// backhand's compressor behind a cache of precompressed blocks.
pub struct CachingCompressor {
    cache: Mutex<HashMap<[u8; 32], Vec<u8>>>,
    hits: AtomicUsize,
}

impl CompressionAction for CachingCompressor {
    type Error = BackhandError;
    type Compressor = Compressor;
    type FilesystemCompressor = FilesystemCompressor;
    type SuperBlock = SuperBlock;

    fn decompress(
        &self,
        bytes: &[u8],
        out: &mut Vec<u8>,
        compressor: Compressor,
    ) -> Result<(), BackhandError> {
        DefaultCompressor.decompress(bytes, out, compressor)
    }

    fn compress(
        &self,
        bytes: &[u8],
        fc: FilesystemCompressor,
        block_size: u32,
    ) -> Result<Vec<u8>, BackhandError> {
        if bytes.len() == block_size as usize {
            let key: [u8; 32] = Sha256::digest(bytes).into();
            if let Some(hit) = self.cache.lock().expect("cache lock").remove(&key) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(hit);
            }
        }
        DefaultCompressor.compress(bytes, fc, block_size)
    }

    fn compression_options(
        &self,
        superblock: &mut SuperBlock,
        kind: &Kind,
        fs_compressor: FilesystemCompressor,
    ) -> Result<Option<Vec<u8>>, BackhandError> {
        DefaultCompressor.compression_options(superblock, kind, fs_compressor)
    }
}

fn filesystem_compressor(compression: Compression) -> Result<FilesystemCompressor, Error> {
    let invalid = |what: String| Error::Spec(what);
    let fc = match compression {
        Compression::Zstd { level } if (1..=22).contains(&level) => FilesystemCompressor::new(
            Compressor::Zstd,
            Some(CompressionOptions::Zstd(Zstd {
                compression_level: level,
            })),
        ),
        Compression::Xz { level } if level <= 9 => {
            let mut fc = FilesystemCompressor::new(Compressor::Xz, None)
                .map_err(|e| invalid(e.to_string()))?;
            let mut extra = ExtraXz::default();
            extra.level(level).map_err(|e| invalid(e.to_string()))?;
            fc.extra(CompressionExtra::Xz(extra))
                .map_err(|e| invalid(e.to_string()))?;
            Ok(fc)
        }
        Compression::Gzip { level } if (1..=9).contains(&level) => FilesystemCompressor::new(
            Compressor::Gzip,
            Some(CompressionOptions::Gzip(Gzip {
                compression_level: level,
                window_size: 15,
                strategies: 0,
            })),
        ),
        other => {
            return Err(invalid(format!(
                "compression {other:?}: level out of range (zstd 1-22, xz 0-9, gzip 1-9)"
            )))
        }
    };
    fc.map_err(|e| invalid(e.to_string()))
}

/// Compresses every full block of every file on `threads` workers.
fn precompress(
    tree: &Tree,
    fc: FilesystemCompressor,
    block_size: u32,
    threads: usize,
) -> Result<HashMap<[u8; 32], Vec<u8>>, Error> {
    let mut blocks: Vec<(Arc<Vec<u8>>, usize)> = Vec::new();
    for (path, item) in &tree.items {
        if let Node::File { content, .. } = &item.node {
            let bytes = content.read().map_err(|e| Error::io(path, e))?;
            let full = bytes.len() / block_size as usize;
            blocks.extend((0..full).map(|i| (bytes.clone(), i * block_size as usize)));
        }
    }
    let next = AtomicUsize::new(0);
    let cache = Mutex::new(HashMap::with_capacity(blocks.len()));
    let failure: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((bytes, start)) = blocks.get(i) else {
                    break;
                };
                let block = &bytes[*start..*start + block_size as usize];
                match DefaultCompressor.compress(block, fc, block_size) {
                    Ok(packed) => {
                        let key: [u8; 32] = Sha256::digest(block).into();
                        cache.lock().expect("cache lock").insert(key, packed);
                    }
                    Err(e) => {
                        *failure.lock().expect("failure lock") = Some(e.to_string());
                        break;
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("failure lock") {
        return Err(Error::Write(format!("compressing a block: {e}")));
    }
    Ok(cache.into_inner().expect("cache lock"))
}

/// Writes `tree` as a SquashFS image into `out`; returns what it did.
pub fn write_image<W: Write + Seek>(
    tree: &Tree,
    spec: &Spec,
    threads: usize,
    out: W,
) -> Result<Stats, Error> {
    let bs = spec.block_size;
    if !bs.is_power_of_two() || !(4096..=1 << 20).contains(&bs) {
        return Err(Error::Spec(format!(
            "block_size {bs} must be a power of two from 4096 to 1048576"
        )));
    }
    let fc = filesystem_compressor(spec.compression)?;
    let cache = precompress(tree, fc, bs, threads)?;
    let precompressed = cache.len();
    // backhand takes a &'static compressor: this one lives as long as the process.
    let compressor: &'static CachingCompressor = Box::leak(Box::new(CachingCompressor {
        cache: Mutex::new(cache),
        hits: AtomicUsize::new(0),
    }));

    let mut fs = FilesystemWriter::default();
    fs.set_kind(Kind::new_v4(compressor));
    fs.set_compressor(fc);
    fs.set_block_size(bs);
    fs.set_time(spec.mtime);
    fs.set_root_mode(0o755);
    fs.set_root_uid(0);
    fs.set_root_gid(0);
    let header = |mode: u16| NodeHeader::new(mode, 0, 0, spec.mtime);
    let wrap = |path: &str, e: BackhandError| Error::Write(format!("{path}: {e}"));
    for (path, item) in &tree.items {
        match &item.node {
            Node::Dir { mode } => fs
                .push_dir(path, header(*mode))
                .map_err(|e| wrap(path, e))?,
            Node::File {
                mode,
                content: Content::Path(source),
            } => fs
                .push_file_from_path(source.clone(), path, header(*mode))
                .map_err(|e| wrap(path, e))?,
            Node::File {
                mode,
                content: Content::Bytes(bytes),
            } => fs
                .push_file(std::io::Cursor::new(bytes.as_slice()), path, header(*mode))
                .map_err(|e| wrap(path, e))?,
            Node::Symlink { target } => {
                let target = String::from_utf8(target.clone())
                    .map_err(|_| Error::Write(format!("{path}: symlink target is not UTF-8")))?;
                fs.push_symlink(target, path, header(0o777))
                    .map_err(|e| wrap(path, e))?
            }
        }
    }
    let (_, bytes) = fs.write(out).map_err(|e| Error::Write(e.to_string()))?;
    Ok(Stats {
        bytes,
        precompressed,
        cache_hits: compressor.hits.load(Ordering::Relaxed),
    })
}
