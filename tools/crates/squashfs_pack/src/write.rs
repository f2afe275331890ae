//! Writes the tree with backhand, compressing data on several threads.
//!
//! backhand's writer compresses on one thread. Alongside it, a producer
//! predicts every block backhand will compress (each chunk of a file of a
//! block or more, and each fragment block of smaller files, packed in
//! backhand's order as backhand packs them) and a pool of workers compresses
//! them ahead, with backhand's own compressor, a bounded window ahead of the
//! writer. The compressor backhand calls ([`CachingCompressor`]) takes a
//! block from that cache by its sha256, waits for it if it is in flight, and
//! compresses in place anything that was not predicted (metadata). Every
//! block's bytes are what backhand's compressor gives, so the image is the
//! same for any thread count, including one.

use crate::spec::{Compression, Spec};
use crate::tree::{read_full, Content, Node, Tree};
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
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

/// Blocks compressed ahead of the writer, at most (bounds memory)...
const WINDOW: usize = 256;
/// ...and at most this many bytes of them (uncompressed), so that 1 MiB
/// blocks of incompressible data do not queue 256 MiB.
const WINDOW_BYTES: usize = 32 << 20;

/// What the write did, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes of the image, padding included.
    pub bytes: u64,
    /// Blocks compressed ahead of the writer.
    pub precompressed: usize,
    /// Blocks backhand took from those (a prediction that missed costs time, never bytes).
    pub cache_hits: usize,
}

type Key = [u8; 32];

#[derive(Default)]
struct Cache {
    /// Compressed blocks, with how many more times they will be asked for.
    ready: HashMap<Key, (Vec<u8>, usize)>,
    /// Blocks queued or being compressed, with how many times they will be asked for.
    pending: HashMap<Key, usize>,
    /// Blocks the writer compressed itself before the producer got to them:
    /// when the producer does, it skips them.
    missed: HashMap<Key, usize>,
    produced: usize,
    consumed: usize,
    done: bool,
    failure: Option<String>,
}

/// Compresses one block: zstd through a context reused per thread (zstd's
/// output does not depend on a context's history, and creating one per
/// block is costly at high levels), anything else through backhand's own
/// compressor. The cache and the writer both use this, so a block's bytes
/// never depend on which of them compressed it.
fn compress_block(
    bytes: &[u8],
    fc: FilesystemCompressor,
    block_size: u32,
    level: Option<i32>,
) -> Result<Vec<u8>, BackhandError> {
    thread_local! {
        static ZSTD: std::cell::RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { std::cell::RefCell::new(None) };
    }
    let Some(level) = level else {
        return DefaultCompressor.compress(bytes, fc, block_size);
    };
    ZSTD.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().map(|(l, _)| *l) != Some(level) {
            *slot = Some((level, zstd::bulk::Compressor::new(level)?));
        }
        let (_, compressor) = slot.as_mut().expect("set above");
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(bytes.len()));
        compressor.compress_to_buffer(bytes, &mut out)?;
        Ok(out)
    })
}

/// backhand's compressor behind the cache of blocks compressed ahead.
pub struct CachingCompressor {
    cache: Mutex<Cache>,
    changed: Condvar,
    /// The zstd level, when the image is zstd-compressed.
    zstd_level: Option<i32>,
}

impl CachingCompressor {
    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn take(&self, key: &Key) -> Option<Vec<u8>> {
        let mut cache = self.lock();
        loop {
            if let Some((bytes, left)) = cache.ready.get_mut(key) {
                *left -= 1;
                let bytes = if *left == 0 {
                    cache.ready.remove(key).map(|(b, _)| b)
                } else {
                    Some(bytes.clone())
                };
                cache.consumed += 1;
                self.changed.notify_all();
                return bytes;
            }
            if cache.failure.is_some() {
                return None;
            }
            if !cache.pending.contains_key(key) {
                *cache.missed.entry(*key).or_insert(0) += 1;
                return None;
            }
            cache = self
                .changed
                .wait(cache)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
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
        if let Some(hit) = self.take(&Sha256::digest(bytes).into()) {
            return Ok(hit);
        }
        compress_block(bytes, fc, block_size, self.zstd_level)
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

/// The files in the order backhand writes their data: by path, compared
/// component by component (as `Path` compares), not as strings.
fn files_in_write_order(tree: &Tree) -> Vec<(&str, &Content)> {
    let mut files: Vec<(PathBuf, &str, &Content)> = tree
        .items
        .iter()
        .filter_map(|(path, item)| match &item.node {
            Node::File { content, .. } => Some((PathBuf::from(path), path.as_str(), content)),
            _ => None,
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.into_iter().map(|(_, p, c)| (p, c)).collect()
}

/// Produces the blocks backhand will compress, in its order: each chunk of a
/// file of at least one block (the last one may be short; all-zero chunks
/// are holes), and fragment blocks of the smaller files, flushed when the
/// next file would not fit and at the end.
fn produce(
    tree: &Tree,
    block_size: usize,
    cache: &CachingCompressor,
    work: &mpsc::SyncSender<(Key, Vec<u8>)>,
) -> Result<(), Error> {
    let mut fragment: Vec<u8> = Vec::with_capacity(block_size);
    let window = (WINDOW_BYTES / block_size).clamp(8, WINDOW);
    let emit = |block: Vec<u8>| -> bool {
        let key: Key = Sha256::digest(&block).into();
        let mut c = cache.lock();
        while !c.done && c.produced - c.consumed >= window {
            c = cache.changed.wait(c).unwrap_or_else(|p| p.into_inner());
        }
        if c.done {
            return false;
        }
        if let Some(left) = c.missed.get_mut(&key) {
            *left -= 1;
            if *left == 0 {
                c.missed.remove(&key);
            }
            return true;
        }
        c.produced += 1;
        if let Some((_, left)) = c.ready.get_mut(&key) {
            *left += 1;
            return true;
        }
        let count = c.pending.entry(key).or_insert(0);
        *count += 1;
        if *count > 1 {
            return true;
        }
        drop(c);
        work.send((key, block)).is_ok()
    };
    // One block of one file in memory at a time (plus the window): a file
    // on disk is read block by block, never whole, and closed before the next.
    let mut chunk = vec![0u8; block_size];
    for (path, content) in files_in_write_order(tree) {
        let io = |e| match content {
            Content::Path(source) => Error::io(format!("{} (for {path})", source.display()), e),
            Content::Bytes(_) | Content::Spilled(_) => Error::io(path, e),
        };
        let mut reader = content.open().map_err(io)?;
        let mut n = read_full(&mut reader, &mut chunk).map_err(io)?;
        if n == 0 {
            continue;
        }
        if n < block_size {
            if fragment.len() + n > block_size && !emit(std::mem::take(&mut fragment)) {
                return Ok(());
            }
            fragment.extend_from_slice(&chunk[..n]);
            continue;
        }
        while n > 0 {
            let block = &chunk[..n];
            if !block.iter().all(|b| *b == 0) && !emit(block.to_vec()) {
                return Ok(());
            }
            n = read_full(&mut reader, &mut chunk).map_err(io)?;
        }
    }
    if !fragment.is_empty() {
        emit(fragment);
    }
    Ok(())
}

/// Compresses blocks from `work` until it closes.
fn compress_worker(
    work: &Mutex<mpsc::Receiver<(Key, Vec<u8>)>>,
    cache: &CachingCompressor,
    fc: FilesystemCompressor,
    block_size: u32,
) {
    loop {
        let Ok((key, block)) = work.lock().unwrap_or_else(|p| p.into_inner()).recv() else {
            return;
        };
        let result = compress_block(&block, fc, block_size, cache.zstd_level);
        let mut c = cache.lock();
        match result {
            Ok(packed) => {
                let count = c.pending.remove(&key).unwrap_or(1);
                c.ready.insert(key, (packed, count));
            }
            Err(e) => c.failure = Some(e.to_string()),
        }
        cache.changed.notify_all();
    }
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
    // backhand takes a &'static compressor: each image leaks one, emptied by the write.
    let compressor: &'static CachingCompressor = Box::leak(Box::new(CachingCompressor {
        cache: Mutex::new(Cache::default()),
        changed: Condvar::new(),
        zstd_level: match spec.compression {
            Compression::Zstd { level } => Some(level as i32),
            _ => None,
        },
    }));
    let (sender, receiver) = mpsc::sync_channel::<(Key, Vec<u8>)>(threads.max(1) * 2);
    let receiver = Mutex::new(receiver);
    std::thread::scope(|scope| -> Result<Stats, Error> {
        let producer = scope.spawn(move || produce(tree, bs as usize, compressor, &sender));
        for _ in 0..threads.max(1) {
            scope.spawn(|| compress_worker(&receiver, compressor, fc, bs));
        }
        let written = write_tree(tree, spec, fc, compressor, out);
        // Stop the producer if the writer finished first (or failed).
        compressor.lock().done = true;
        compressor.changed.notify_all();
        let produced = producer
            .join()
            .map_err(|_| Error::Write("the block producer panicked".into()))?;
        let bytes = written?;
        produced?;
        let c = compressor.lock();
        if let Some(failure) = &c.failure {
            return Err(Error::Write(format!("compressing a block: {failure}")));
        }
        Ok(Stats {
            bytes,
            precompressed: c.produced,
            cache_hits: c.consumed,
        })
    })
}

fn write_tree<W: Write + Seek>(
    tree: &Tree,
    spec: &Spec,
    fc: FilesystemCompressor,
    compressor: &'static CachingCompressor,
    out: W,
) -> Result<u64, Error> {
    let mut fs = FilesystemWriter::default();
    fs.set_kind(Kind::new_v4(compressor));
    // backhand writes gzip's options block one byte short (window_size as a
    // u8), which unsquashfs refuses; readers never need gzip's options to
    // decompress, and mksquashfs omits default ones too.
    let gzip = matches!(spec.compression, Compression::Gzip { .. });
    fs.set_compressor(fc);
    fs.set_emit_compression_options(!gzip);
    fs.set_block_size(spec.block_size);
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
            Node::File {
                mode,
                content: Content::Spilled(region),
            } => fs
                .push_file(region.reader(), path, header(*mode))
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
    Ok(bytes)
}
