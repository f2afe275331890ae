//! One source's compressed blocks and their index: the unit that Bazel
//! caches, one action per .deb, tar or tree.
//!
//! [`compress_tree`] writes the data blocks of every file of a tree, and the
//! fragment blocks that hold the files smaller than a block, to a blocks file,
//! and returns an [`Index`]: the tree's nodes, where each file's blocks and
//! fragment are, the fragment blocks, the settings, and the blocks file's
//! size and sha256. [`crate::assemble`] lays several of these out as one
//! image.
//!
//! Files are laid out depth first, each directory's together. A file of a
//! block or more is stored as whole blocks, its last one short (tails are
//! not packed into fragments, as mksquashfs does by default), and an all-zero
//! block is a hole. A file identical to an earlier one of the same source is
//! stored once: both point at the same blocks or fragment. Workers compress
//! blocks a bounded window ahead of the writer, which writes them in order,
//! so the bytes do not depend on the thread count.

use crate::compress::BlockCompressor;
use crate::format::UNCOMPRESSED_BLOCK;
use crate::spec::Compression;
use crate::tree::{read_full, Content, Node, Tree};
use crate::Error;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Write;
use std::sync::{mpsc, Mutex};

/// The index format this code writes and reads.
pub const FORMAT: &str = "actiond-squashfs-blocks/1";

/// Bytes of blocks (uncompressed) queued ahead of the writer, at most.
const WINDOW_BYTES: usize = 2 << 20;

/// What a blocks file holds, and the nodes of its source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub format: String,
    pub compression: Compression,
    pub block_size: u32,
    /// The blocks file this index describes.
    pub blocks: BlocksFile,
    /// The fragment blocks, in the order files refer to them.
    pub fragments: Vec<FragmentBlock>,
    /// Where nodes came from (a spec entry or an archive), for conflict
    /// messages; "" for implicit parent directories.
    pub origins: Vec<String>,
    /// Every node of the source's tree, sorted by path.
    pub nodes: Vec<IndexNode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocksFile {
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FragmentBlock {
    /// Offset in the blocks file.
    pub start: u64,
    /// The size word: bytes stored, plus 1 << 24 if stored uncompressed.
    pub size: u32,
    /// Bytes of files it holds, uncompressed.
    pub raw: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum IndexNode {
    Dir {
        path: String,
        mode: u16,
        origin: u32,
    },
    File {
        path: String,
        mode: u16,
        origin: u32,
        #[serde(flatten)]
        data: StoredFile,
    },
    Symlink {
        path: String,
        target: String,
        origin: u32,
    },
}

/// A sha256, written as 64 hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

impl Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex(self.0))
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Sha256Digest, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bad = || serde::de::Error::custom(format!("{text:?} is not a sha256 (64 hex digits)"));
        if text.len() != 64 {
            return Err(bad());
        }
        let mut digest = [0u8; 32];
        for (i, byte) in digest.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
                .map_err(|_| bad())?;
        }
        Ok(Sha256Digest(digest))
    }
}

/// A file as stored: its size and sha256, the offset of its first block, each
/// block's size word (0 for a hole), and its fragment (index, offset) if it
/// is smaller than a block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredFile {
    pub size: u64,
    pub sha256: Sha256Digest,
    pub start: u64,
    pub blocks: Vec<u32>,
    pub fragment: Option<(u32, u32)>,
}

impl StoredFile {
    /// Whether it is stored as blocks of its own (not in a fragment, and not
    /// only holes): those may be shared across sources.
    pub fn has_own_blocks(&self) -> bool {
        self.fragment.is_none() && self.stored_bytes() > 0
    }

    /// Bytes its blocks take in the blocks file.
    pub fn stored_bytes(&self) -> u64 {
        self.blocks
            .iter()
            .map(|b| (b & !UNCOMPRESSED_BLOCK) as u64)
            .sum()
    }
}

/// Where a queued block's size word goes once it is written.
enum Target {
    /// Block `block` of file `file` (in `files` order).
    File {
        file: usize,
        block: usize,
    },
    Fragment(usize),
}

/// A block's result from a worker: its sequence number, its bytes, and
/// those bytes compressed (None if compressing did not shrink them).
type Compressed = (u64, Vec<u8>, Result<Option<Vec<u8>>, Error>);

/// Lays out blocks and writes them in order, while workers compress those
/// queued after them.
struct Writer<'a, W: Write> {
    out: W,
    hasher: Sha256,
    offset: u64,
    files: Vec<StoredFile>,
    /// Whether a file's start was set by its first stored block.
    started: Vec<bool>,
    fragments: Vec<FragmentBlock>,
    jobs: Option<mpsc::Sender<(u64, Vec<u8>)>>,
    results: &'a mpsc::Receiver<Compressed>,
    /// The targets of queued blocks not yet written, in queue order.
    targets: VecDeque<Target>,
    /// Blocks compressed ahead of the next one to write.
    ready: BTreeMap<u64, (Vec<u8>, Option<Vec<u8>>)>,
    queued: u64,
    written: u64,
    /// Blocks queued and not yet written, at most (bounds memory).
    window: u64,
}

impl<W: Write> Writer<'_, W> {
    fn queue(&mut self, target: Target, raw: Vec<u8>) -> Result<(), Error> {
        self.targets.push_back(target);
        let sent = self.jobs.as_ref().map(|jobs| jobs.send((self.queued, raw)));
        if !matches!(sent, Some(Ok(()))) {
            return Err(Error::Write("the block compressors stopped".into()));
        }
        self.queued += 1;
        while self.queued - self.written > self.window {
            self.receive()?;
        }
        Ok(())
    }

    /// Queues a full fragment block; its place is known once it is written.
    fn queue_fragment(&mut self, raw: Vec<u8>) -> Result<(), Error> {
        let index = self.fragments.len();
        self.fragments.push(FragmentBlock {
            start: 0,
            size: 0,
            raw: 0,
        });
        self.queue(Target::Fragment(index), raw)
    }

    /// Waits for one compressed block, then writes every block now in order.
    fn receive(&mut self) -> Result<(), Error> {
        let (seq, raw, packed) = self
            .results
            .recv()
            .map_err(|_| Error::Write("the block compressors stopped".into()))?;
        self.ready.insert(seq, (raw, packed?));
        while let Some((raw, packed)) = self.ready.remove(&self.written) {
            let target = self.targets.pop_front().expect("a target per queued block");
            self.write(target, &raw, packed.as_deref())?;
            self.written += 1;
        }
        Ok(())
    }

    fn write(&mut self, target: Target, raw: &[u8], packed: Option<&[u8]>) -> Result<(), Error> {
        let (bytes, word) = match packed {
            Some(p) => (p, p.len() as u32),
            None => (raw, raw.len() as u32 | UNCOMPRESSED_BLOCK),
        };
        match target {
            Target::File { file, block } => {
                if !self.started[file] {
                    self.started[file] = true;
                    self.files[file].start = self.offset;
                }
                self.files[file].blocks[block] = word;
            }
            Target::Fragment(i) => {
                self.fragments[i] = FragmentBlock {
                    start: self.offset,
                    size: word,
                    raw: raw.len() as u32,
                }
            }
        }
        self.out
            .write_all(bytes)
            .map_err(|e| Error::io("the blocks file", e))?;
        self.hasher.update(bytes);
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Writes every block still queued, and stops the workers.
    fn finish(&mut self) -> Result<(), Error> {
        while self.written < self.queued {
            self.receive()?;
        }
        self.jobs = None;
        self.out
            .flush()
            .map_err(|e| Error::io("the blocks file", e))
    }
}

pub(crate) fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Compresses the files of `tree` into `out` (the blocks file); returns its
/// index. With `share_cores`, the threads beyond the first compress only
/// while the machine has an idle core (see [`CoreGate`]).
pub fn compress_tree(
    tree: Tree,
    compressor: &BlockCompressor,
    threads: usize,
    share_cores: bool,
    out: impl Write,
) -> Result<Index, Error> {
    let bs = compressor.block_size() as usize;
    // (the file's place in the tree's order, its path, its content)
    let mut files: Vec<(usize, &str, &Content)> = tree
        .items
        .iter()
        .filter_map(|(path, item)| match &item.node {
            Node::File { content, .. } => Some((path.as_str(), content)),
            _ => None,
        })
        .enumerate()
        .map(|(i, (path, content))| (i, path, content))
        .collect();
    // Data goes depth first, each directory's files together, as mksquashfs
    // writes them (so similar files share fragment blocks): not in the
    // tree's string order, where "a.c" comes between "a" and "a/b".
    files.sort_by(|a, b| a.1.split('/').cmp(b.1.split('/')));
    // Files of a block or more are hashed before they are stored only when
    // another file has their size, as mksquashfs finds duplicates.
    let mut sizes: HashMap<u64, usize> = HashMap::new();
    for (_, path, content) in &files {
        let len = content
            .byte_len()
            .map_err(|e| read_error(path, content, e))?;
        *sizes.entry(len).or_default() += 1;
    }
    let threads = threads.max(1);
    let (jobs, work) = mpsc::channel::<(u64, Vec<u8>)>();
    let (done, results) = mpsc::channel::<Compressed>();
    let work = Mutex::new(work);
    let gate = CoreGate::new();
    std::thread::scope(|scope| {
        for worker in 0..threads {
            let done = done.clone();
            let (work, gate) = (&work, &gate);
            let gated = share_cores && worker > 0;
            scope.spawn(move || loop {
                if gated && !gate.wait_for_an_idle_core() {
                    break;
                }
                let job = work.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok((seq, raw)) = job else { break };
                let packed = compressor.compress(&raw);
                if done.send((seq, raw, packed)).is_err() {
                    break;
                }
            });
        }
        drop(done);
        let mut w = Writer {
            out,
            hasher: Sha256::new(),
            offset: 0,
            files: vec![StoredFile::default(); files.len()],
            started: vec![false; files.len()],
            fragments: Vec::new(),
            jobs: Some(jobs),
            results: &results,
            targets: VecDeque::new(),
            ready: BTreeMap::new(),
            queued: 0,
            written: 0,
            window: (WINDOW_BYTES / bs).max(threads * 4) as u64,
        };
        let laid_out = lay_out(&mut w, &files, &sizes, bs);
        // Stop the workers whether or not the layout failed.
        w.jobs = None;
        gate.close();
        laid_out?;
        Ok(w)
    })
    .and_then(|w| index(tree, compressor, w))
}

/// How long a gated worker waits before it looks for an idle core again.
const GATE_POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// Lets a source's extra workers (all but the first) compress only while
/// the machine has an idle core, as make's `-l` holds back jobs. Bazel runs
/// one action per core: actions side by side then compress on one thread
/// each, without oversubscribing the cores, while an action alone (a
/// rebuild after one .deb changed, the last of a cold build) uses them all.
/// The count is Linux's `/proc/loadavg` (threads running now, the caller
/// included, on the whole machine); where it cannot be read, the workers
/// are not held back.
struct CoreGate {
    /// The machine's cores, found once.
    cores: usize,
    closed: Mutex<bool>,
    wake: std::sync::Condvar,
}

impl CoreGate {
    fn new() -> CoreGate {
        CoreGate {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            closed: Mutex::new(false),
            wake: std::sync::Condvar::new(),
        }
    }

    /// Waits until the machine has an idle core; false once the work is
    /// done.
    fn wait_for_an_idle_core(&self) -> bool {
        loop {
            if running_threads().is_none_or(|running| running <= self.cores) {
                return !*self.closed.lock().unwrap_or_else(|p| p.into_inner());
            }
            let closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
            if *closed {
                return false;
            }
            drop(self.wake.wait_timeout(closed, GATE_POLL));
        }
    }

    /// Releases every waiting worker, for good.
    fn close(&self) {
        *self.closed.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.wake.notify_all();
    }
}

/// Threads running on the machine now, as `/proc/loadavg` gives them.
fn running_threads() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let (running, _total) = text.split_whitespace().nth(3)?.split_once('/')?;
    running.parse().ok()
}

/// A read error, naming the file on disk and its image path.
fn read_error(path: &str, content: &Content, e: std::io::Error) -> Error {
    match content {
        Content::Path(source) => Error::io(format!("{} (for {path})", source.display()), e),
        _ => Error::io(path, e),
    }
}

/// Queues every block of `files` in order, sharing those of duplicates.
fn lay_out<W: Write>(
    w: &mut Writer<'_, W>,
    files: &[(usize, &str, &Content)],
    sizes: &HashMap<u64, usize>,
    bs: usize,
) -> Result<(), Error> {
    let mut fragment: Vec<u8> = Vec::with_capacity(bs);
    let mut seen: HashMap<[u8; 32], usize> = HashMap::new();
    let mut copies: Vec<(usize, usize)> = Vec::new();
    let mut chunk = vec![0u8; bs];
    for &(i, path, content) in files {
        let io = |e| read_error(path, content, e);
        let mut reader = content.open().map_err(io)?;
        let mut n = read_full(&mut reader, &mut chunk).map_err(io)?;
        if n < bs {
            let mut stored = StoredFile::default();
            let digest: [u8; 32] = Sha256::digest(&chunk[..n]).into();
            stored.size = n as u64;
            stored.sha256 = Sha256Digest(digest);
            if n > 0 {
                if let Some(&first) = seen.get(&digest) {
                    copies.push((i, first));
                } else {
                    seen.insert(digest, i);
                    if fragment.len() + n > bs {
                        w.queue_fragment(std::mem::take(&mut fragment))?;
                    }
                    stored.fragment = Some((w.fragments.len() as u32, fragment.len() as u32));
                    fragment.extend_from_slice(&chunk[..n]);
                }
            }
            w.files[i] = stored;
            continue;
        }
        let len = content.byte_len().map_err(io)?;
        // The sha256 of a file hashed ahead is not computed again below.
        let mut hashed = None;
        if sizes.get(&len).copied().unwrap_or(0) > 1 {
            let mut hasher = Sha256::new();
            std::io::copy(&mut content.open().map_err(io)?, &mut hasher).map_err(io)?;
            let digest: [u8; 32] = hasher.finalize().into();
            if let Some(&first) = seen.get(&digest) {
                copies.push((i, first));
                continue;
            }
            seen.insert(digest, i);
            hashed = Some(digest);
        }
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while n > 0 {
            if hashed.is_none() {
                hasher.update(&chunk[..n]);
            }
            size += n as u64;
            let block = w.files[i].blocks.len();
            w.files[i].blocks.push(0);
            if chunk[..n].iter().any(|b| *b != 0) {
                w.queue(Target::File { file: i, block }, chunk[..n].to_vec())?;
            }
            n = read_full(&mut reader, &mut chunk).map_err(io)?;
        }
        w.files[i].size = size;
        w.files[i].sha256 = Sha256Digest(hashed.unwrap_or_else(|| hasher.finalize().into()));
    }
    if !fragment.is_empty() {
        w.queue_fragment(fragment)?;
    }
    w.finish()?;
    for (copy, first) in copies {
        w.files[copy] = w.files[first].clone();
    }
    Ok(())
}

/// The index of `tree`, whose files `w` wrote.
fn index<W: Write>(
    tree: Tree,
    compressor: &BlockCompressor,
    w: Writer<'_, W>,
) -> Result<Index, Error> {
    let mut origins: Vec<String> = Vec::new();
    let mut origin_ids: HashMap<String, u32> = HashMap::new();
    let mut files = w.files.into_iter();
    let mut nodes = Vec::with_capacity(tree.items.len());
    // The tree is consumed as the index grows, so the two are not both
    // held whole.
    for (path, item) in tree.items {
        let origin = match origin_ids.get(&item.origin) {
            Some(&id) => id,
            None => {
                origins.push(item.origin.clone());
                origin_ids.insert(item.origin.clone(), origins.len() as u32 - 1);
                origins.len() as u32 - 1
            }
        };
        nodes.push(match item.node {
            Node::Dir { mode } => IndexNode::Dir { path, mode, origin },
            Node::File { mode, .. } => IndexNode::File {
                path,
                mode,
                origin,
                data: files.next().expect("one StoredFile per file"),
            },
            Node::Symlink { target } => IndexNode::Symlink {
                target: String::from_utf8(target).map_err(|_| Error::Input {
                    path: item.origin.clone(),
                    message: format!("the target of symlink {path:?} is not UTF-8"),
                })?,
                path,
                origin,
            },
        });
    }
    Ok(Index {
        format: FORMAT.to_owned(),
        compression: compressor.compression(),
        block_size: compressor.block_size(),
        blocks: BlocksFile {
            bytes: w.offset,
            sha256: hex(w.hasher.finalize()),
        },
        fragments: w.fragments,
        origins,
        nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn tree() -> Tree {
        let mut t = Tree::default();
        for (path, bytes) in [
            ("a", vec![1u8; 5000]),
            ("b", vec![1u8; 5000]),
            ("c", b"x".to_vec()),
        ] {
            let content = Content::Bytes(Arc::new(bytes));
            t.insert(
                path,
                Node::File {
                    mode: 0o644,
                    content,
                },
                "test",
            )
            .unwrap();
        }
        t
    }

    #[test]
    fn duplicates_share_blocks_and_the_index_round_trips() {
        let c = BlockCompressor::new(Compression::Zstd { level: 3 }, 4096).unwrap();
        let mut one = Vec::new();
        let index = compress_tree(tree(), &c, 1, false, &mut one).unwrap();
        for share_cores in [false, true] {
            let mut four = Vec::new();
            assert_eq!(
                compress_tree(tree(), &c, 4, share_cores, &mut four).unwrap(),
                index
            );
            assert_eq!(one, four, "the same bytes for any thread count");
        }
        let files: Vec<&StoredFile> = index
            .nodes
            .iter()
            .filter_map(|n| match n {
                IndexNode::File { data, .. } => Some(data),
                _ => None,
            })
            .collect();
        assert_eq!(files[0], files[1], "b is a's duplicate");
        assert_eq!(files[0].blocks.len(), 2);
        assert_eq!(index.blocks.bytes, one.len() as u64);
        let text = serde_json::to_string(&index).unwrap();
        assert_eq!(serde_json::from_str::<Index>(&text).unwrap(), index);
        let bad = text.replace(&hex(files[2].sha256.0), "not-hex");
        let err = serde_json::from_str::<Index>(&bad).unwrap_err().to_string();
        assert!(err.contains("\"not-hex\" is not a sha256"), "{err}");
    }
}
