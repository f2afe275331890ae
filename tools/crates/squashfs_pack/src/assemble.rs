//! One image from the blocks of several sources.
//!
//! Each source's index is checked against the image's settings and its own
//! blocks file (size, sha256, and every block and fragment inside it). The
//! sources' trees merge by the rules of [`Tree::insert`]: a path given twice
//! must be given the same way, files compared by size and sha256. Then the
//! image is written front to back: the superblock, the blocks of every
//! source in order, and the inode, directory, fragment and id tables.
//!
//! A file of whole blocks that an earlier source already stored is not
//! stored again: its inode points at the earlier blocks, and its own bytes
//! are skipped while its source's blocks file is copied. Fragments stay
//! with their source, so a small file found in two sources is stored twice.
//! Nothing is written and then taken back, so no stale bytes can remain
//! past the image's end.

use crate::blocks::{FragmentBlock, Index, IndexNode, Sha256Digest, StoredFile, FORMAT};
use crate::compress::BlockCompressor;
use crate::format::{self, DirData, DirEntry, MetadataWriter, Superblock};
use crate::tree::{clean_path, Content, Node, Tree};
use crate::Error;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Arc;

/// One source: its index, and its blocks file opened for reading.
pub struct Source {
    /// The index's path, for messages.
    pub index_name: String,
    /// The blocks file's path, for messages.
    pub blocks_name: String,
    pub index: Index,
    pub blocks: std::fs::File,
}

/// The image is padded to a multiple of this, as mksquashfs pads it.
const PAD: u64 = 4096;

impl Source {
    fn bad_index(&self, message: String) -> Error {
        Error::Input {
            path: self.index_name.clone(),
            message,
        }
    }

    /// Checks the index: its format and settings, and that every block and
    /// fragment it names lies inside its blocks file.
    fn check(&self, compressor: &BlockCompressor) -> Result<(), Error> {
        let ix = &self.index;
        if ix.format != FORMAT {
            return Err(self.bad_index(format!(
                "format {:?}; this tool reads {FORMAT:?}",
                ix.format
            )));
        }
        if ix.compression != compressor.compression() || ix.block_size != compressor.block_size() {
            return Err(self.bad_index(format!(
                "its blocks are compressed with {:?} in {}-byte blocks, but the image is {:?} in {}-byte blocks",
                ix.compression,
                ix.block_size,
                compressor.compression(),
                compressor.block_size()
            )));
        }
        let bs = ix.block_size as u64;
        for (i, f) in ix.fragments.iter().enumerate() {
            let stored = (f.size & !format::UNCOMPRESSED_BLOCK) as u64;
            if !within_blocks(ix, f.start, stored) || stored > bs || f.raw as u64 > bs {
                return Err(self.bad_index(format!(
                    "fragment block {i} ({stored} bytes at {}) does not fit its blocks file of {} bytes and {bs}-byte blocks",
                    f.start, ix.blocks.bytes
                )));
            }
        }
        for node in &ix.nodes {
            let (path, origin) = match node {
                IndexNode::Dir { path, origin, .. } | IndexNode::Symlink { path, origin, .. } => {
                    (path, origin)
                }
                IndexNode::File {
                    path, origin, data, ..
                } => {
                    self.check_file(path, data, bs)?;
                    (path, origin)
                }
            };
            if ix.origins.get(*origin as usize).is_none() {
                return Err(self.bad_index(format!(
                    "{path:?} names origin {origin}, which it does not list"
                )));
            }
        }
        Ok(())
    }

    fn check_file(&self, path: &str, f: &StoredFile, bs: u64) -> Result<(), Error> {
        let ix = &self.index;
        let wrong = |why: &str| self.bad_index(format!("file {path:?}: {why}"));
        if f.blocks
            .iter()
            .any(|b| (b & !format::UNCOMPRESSED_BLOCK) as u64 > bs)
        {
            return Err(wrong("a block is larger than the block size"));
        }
        match f.fragment {
            Some((i, offset)) => {
                let Some(block) = ix.fragments.get(i as usize) else {
                    return Err(wrong(&format!("fragment {i} is not in the index")));
                };
                if !f.blocks.is_empty() || offset as u64 + f.size > block.raw as u64 {
                    return Err(wrong(&format!(
                        "{} bytes at {offset} do not fit fragment {i}",
                        f.size
                    )));
                }
            }
            None if f.blocks.len() as u64 != f.size.div_ceil(bs) => {
                return Err(wrong(&format!(
                    "{} bytes need {} blocks, not {}",
                    f.size,
                    f.size.div_ceil(bs),
                    f.blocks.len()
                )))
            }
            None if f.stored_bytes() > 0 && !within_blocks(ix, f.start, f.stored_bytes()) => {
                return Err(wrong(&format!(
                    "its blocks ({} bytes at {}) lie outside its blocks file of {} bytes",
                    f.stored_bytes(),
                    f.start,
                    ix.blocks.bytes
                )))
            }
            None => {}
        }
        Ok(())
    }
}

fn within_blocks(ix: &Index, start: u64, len: u64) -> bool {
    start
        .checked_add(len)
        .is_some_and(|end| end <= ix.blocks.bytes)
}

/// What one source contributes: the ranges of its blocks file to copy, as
/// old start -> (length, start in the image), sorted by old start.
type Plan = BTreeMap<u64, (u64, u64)>;

/// Writes the image of `sources` to `out`; returns its size, padding
/// included.
pub fn assemble<W: Write + Seek>(
    mut sources: Vec<Source>,
    compressor: &BlockCompressor,
    mtime: u32,
    mut out: W,
) -> Result<u64, Error> {
    for source in sources.iter() {
        source.check(compressor)?;
    }
    let options = compressor.options().map(|o| format::options_block(&o));
    let data_start = format::SUPERBLOCK_SIZE + options.as_ref().map_or(0, |o| o.len() as u64);

    // Plan the data: which ranges of which blocks file go where.
    let mut next = data_start;
    let mut whole_files: HashMap<Sha256Digest, Arc<StoredFile>> = HashMap::new();
    let mut fragment_table: Vec<FragmentBlock> = Vec::new();
    let mut tree = Tree::default();
    let mut plans = Vec::with_capacity(sources.len());
    for source in sources.iter_mut() {
        let ix = &source.index;
        let mut segments: BTreeMap<u64, u64> = ix
            .fragments
            .iter()
            .map(|f| (f.start, (f.size & !format::UNCOMPRESSED_BLOCK) as u64))
            .collect();
        let mut earlier: HashMap<Sha256Digest, Arc<StoredFile>> = HashMap::new();
        for node in &ix.nodes {
            if let IndexNode::File { data, .. } = node {
                if data.has_own_blocks() {
                    if let Some(stored) = whole_files.get(&data.sha256) {
                        earlier.insert(data.sha256, stored.clone());
                    } else if *segments.entry(data.start).or_insert(data.stored_bytes())
                        != data.stored_bytes()
                    {
                        return Err(source.bad_index(format!(
                            "two blocks of different sizes start at offset {} of its blocks file",
                            data.start
                        )));
                    }
                }
            }
        }
        // Lay the kept ranges out in order; they must not overlap.
        let mut plan = Plan::new();
        let mut end = 0;
        for (&start, &len) in &segments {
            if start < end {
                return Err(source.bad_index(format!(
                    "two blocks overlap at offset {start} of its blocks file"
                )));
            }
            end = start + len;
            plan.insert(start, (len, next));
            next += len;
        }
        let fragment_base = fragment_table.len() as u32;
        for f in &ix.fragments {
            fragment_table.push(FragmentBlock {
                start: plan[&f.start].1,
                ..*f
            });
        }
        let origins = std::mem::take(&mut source.index.origins);
        for node in std::mem::take(&mut source.index.nodes) {
            let (path, node, origin) = match node {
                // Implicit parents are made again as the tree needs them, so
                // that an explicit directory of another source wins.
                IndexNode::Dir { origin, .. } if origins[origin as usize].is_empty() => continue,
                IndexNode::Dir { path, mode, origin } => (path, Node::Dir { mode }, origin),
                IndexNode::Symlink {
                    path,
                    target,
                    origin,
                } => (
                    path,
                    Node::Symlink {
                        target: target.into_bytes(),
                    },
                    origin,
                ),
                IndexNode::File {
                    path,
                    mode,
                    origin,
                    data,
                } => {
                    let stored = if let Some(stored) = earlier.get(&data.sha256) {
                        stored.clone()
                    } else {
                        let mut stored = data;
                        if let Some((i, offset)) = stored.fragment {
                            stored.fragment = Some((fragment_base + i, offset));
                        } else if stored.stored_bytes() > 0 {
                            stored.start = plan[&stored.start].1;
                        } else {
                            stored.start = 0;
                        }
                        let stored = Arc::new(stored);
                        if stored.has_own_blocks() {
                            whole_files
                                .entry(stored.sha256)
                                .or_insert_with(|| stored.clone());
                        }
                        stored
                    };
                    let node = Node::File {
                        mode,
                        content: Content::Stored(stored),
                    };
                    (path, node, origin)
                }
            };
            let clean = clean_path(&path).map_err(|m| source.bad_index(format!("path {m}")))?;
            tree.insert(&clean, node, &origins[origin as usize])?;
        }
        plans.push(plan);
    }

    out.seek(SeekFrom::Start(0))
        .and_then(|_| out.write_all(&[0; format::SUPERBLOCK_SIZE as usize]))
        .map_err(|e| Error::io("the image", e))?;
    if let Some(options) = &options {
        out.write_all(options)
            .map_err(|e| Error::io("the image", e))?;
    }
    for (source, plan) in sources.iter().zip(&plans) {
        copy_blocks(source, plan, &mut out)?;
    }
    let superblock = write_tables(&tree, compressor, mtime, fragment_table, next, &mut out)?;
    let padded = superblock.bytes_used.div_ceil(PAD) * PAD;
    let write = |out: &mut W| -> std::io::Result<()> {
        out.write_all(&vec![0; (padded - superblock.bytes_used) as usize])?;
        out.seek(SeekFrom::Start(0))?;
        out.write_all(&superblock.bytes())?;
        out.flush()
    };
    write(&mut out).map_err(|e| Error::io("the image", e))?;
    Ok(padded)
}

/// Copies the planned ranges of a source's blocks file to `out`, checking
/// the whole file's size and sha256 against its index on the way.
fn copy_blocks(source: &Source, plan: &Plan, out: &mut impl Write) -> Result<(), Error> {
    let expected = &source.index.blocks;
    let name = source.blocks_name.clone();
    let mut reader = std::io::BufReader::with_capacity(1 << 20, &source.blocks);
    let mut hasher = Sha256::new();
    let mut at = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    let truncated = |at: u64| Error::Input {
        path: name.clone(),
        message: format!(
            "truncated: it ends at byte {at}, but its index {} gives {} bytes",
            source.index_name, expected.bytes
        ),
    };
    // Moves `len` bytes along, writing them if `keep`.
    let mut advance =
        |len: u64, keep: bool, at: &mut u64, out: &mut dyn Write| -> Result<(), Error> {
            let mut left = len;
            while left > 0 {
                let want = left.min(buf.len() as u64) as usize;
                let n = crate::tree::read_full(&mut reader, &mut buf[..want])
                    .map_err(|e| Error::io(&name, e))?;
                if n == 0 {
                    return Err(truncated(*at));
                }
                hasher.update(&buf[..n]);
                if keep {
                    out.write_all(&buf[..n])
                        .map_err(|e| Error::io("the image", e))?;
                }
                *at += n as u64;
                left -= n as u64;
            }
            Ok(())
        };
    for (&start, &(len, _)) in plan {
        advance(start - at, false, &mut at, out)?;
        advance(len, true, &mut at, out)?;
    }
    advance(expected.bytes - at, false, &mut at, out)?;
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .map_err(|e| Error::io(&name, e))?;
    if !rest.is_empty() {
        return Err(Error::Input {
            path: name.clone(),
            message: format!(
                "{} bytes, but its index {} gives {}",
                expected.bytes + rest.len() as u64,
                source.index_name,
                expected.bytes
            ),
        });
    }
    let sha256 = crate::blocks::hex(hasher.finalize());
    if sha256 != expected.sha256 {
        return Err(Error::Input {
            path: name,
            message: format!(
                "sha256 {sha256}, but its index {} gives {}: the file is corrupt or belongs to another index",
                source.index_name, expected.sha256
            ),
        });
    }
    Ok(())
}

/// Writes the inode, directory, fragment and id tables at `start`; returns
/// the superblock that points at them.
fn write_tables(
    tree: &Tree,
    compressor: &BlockCompressor,
    mtime: u32,
    fragments: Vec<FragmentBlock>,
    start: u64,
    out: &mut impl Write,
) -> Result<Superblock, Error> {
    // Directories: the root is 0; each lists its children in name order
    // (the tree's order restricted to one directory).
    let items: Vec<(&str, &Node)> = tree
        .items
        .iter()
        .map(|(path, item)| (path.as_str(), &item.node))
        .collect();
    let mut dir_of: HashMap<&str, usize> = HashMap::from([("", 0)]);
    let mut children: Vec<Vec<usize>> = vec![Vec::new()];
    let mut modes = vec![0o755];
    for (path, node) in &items {
        if let Node::Dir { mode } = node {
            dir_of.insert(path, children.len());
            children.push(Vec::new());
            modes.push(*mode);
        }
    }
    for (k, (path, _)) in items.iter().enumerate() {
        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
        children[dir_of[parent]].push(k);
    }
    // Inode numbers: breadth first, so that a directory's entries are
    // numbered consecutively; the root is 1.
    let mut numbers = vec![0u32; items.len()];
    let mut dir_numbers = vec![0u32; children.len()];
    dir_numbers[0] = 1;
    let mut count = 1u32;
    let mut queue = std::collections::VecDeque::from([0usize]);
    while let Some(d) = queue.pop_front() {
        for &k in &children[d] {
            count += 1;
            numbers[k] = count;
            if let Node::Dir { .. } = items[k].1 {
                let sub = dir_of[items[k].0];
                dir_numbers[sub] = count;
                queue.push_back(sub);
            }
        }
    }

    let mut inodes = MetadataWriter::new(compressor);
    let mut dirs = MetadataWriter::new(compressor);
    let ctx = Layout {
        items: &items,
        children: &children,
        dir_of: &dir_of,
        modes: &modes,
        numbers: &numbers,
        dir_numbers: &dir_numbers,
        mtime,
    };
    let root = ctx.write_dir(0, count + 1, &mut inodes, &mut dirs)?;

    let (inode_bytes, _) = inodes.finish()?;
    let (dir_bytes, _) = dirs.finish()?;
    let inode_table = start;
    let directory_table = inode_table + inode_bytes.len() as u64;
    let mut at = directory_table + dir_bytes.len() as u64;
    let entries: Vec<u8> = fragments
        .iter()
        .flat_map(|f| [&f.start.to_le_bytes()[..], &f.size.to_le_bytes(), &[0; 4]].concat())
        .collect();
    let (fragment_bytes, fragment_pointers) = format::indexed_table(compressor, &entries, at)?;
    at += fragment_bytes.len() as u64;
    let fragment_table = at;
    at += fragment_pointers.len() as u64;
    // One id, 0: every inode is owned by root.
    let (id_bytes, id_pointers) = format::indexed_table(compressor, &0u32.to_le_bytes(), at)?;
    at += id_bytes.len() as u64;
    let id_table = at;
    at += id_pointers.len() as u64;
    for part in [
        &inode_bytes,
        &dir_bytes,
        &fragment_bytes,
        &fragment_pointers,
        &id_bytes,
        &id_pointers,
    ] {
        out.write_all(part).map_err(|e| Error::io("the image", e))?;
    }
    Ok(Superblock {
        inodes: count,
        mtime,
        block_size: compressor.block_size(),
        fragments: fragments.len() as u32,
        compressor: compressor.id(),
        options: compressor.options().is_some(),
        root,
        bytes_used: at,
        id_table,
        inode_table,
        directory_table,
        fragment_table,
    })
}

/// The tree's directories and inode numbers, for writing inodes.
struct Layout<'a> {
    items: &'a [(&'a str, &'a Node)],
    children: &'a [Vec<usize>],
    dir_of: &'a HashMap<&'a str, usize>,
    modes: &'a [u16],
    numbers: &'a [u32],
    dir_numbers: &'a [u32],
    mtime: u32,
}

impl Layout<'_> {
    /// Writes directory `d`'s children's inodes, then its listing and its
    /// own inode (which needs the listing's place); returns its reference.
    fn write_dir(
        &self,
        d: usize,
        parent: u32,
        inodes: &mut MetadataWriter,
        dirs: &mut MetadataWriter,
    ) -> Result<u64, Error> {
        let number = self.dir_numbers[d];
        let mut entries = Vec::with_capacity(self.children[d].len());
        let mut subdirs = 0;
        for &k in &self.children[d] {
            let (path, node) = self.items[k];
            let name = path.rsplit_once('/').map_or(path, |(_, n)| n);
            let (kind, inode) = match node {
                Node::Dir { .. } => {
                    subdirs += 1;
                    let sub = self.dir_of[path];
                    (format::DIR, self.write_dir(sub, number, inodes, dirs)?)
                }
                Node::File {
                    mode,
                    content: Content::Stored(f),
                } => {
                    let r = inodes.reference();
                    inodes.write(&format::file_inode(*mode, self.mtime, self.numbers[k], f))?;
                    (format::FILE, r)
                }
                Node::File { .. } => {
                    return Err(Error::Write(format!(
                        "{path}: file is not in any blocks file"
                    )))
                }
                Node::Symlink { target } => {
                    let r = inodes.reference();
                    inodes.write(&format::symlink_inode(self.mtime, self.numbers[k], target))?;
                    (format::SYMLINK, r)
                }
            };
            entries.push(DirEntry {
                name: name.as_bytes(),
                kind,
                number: self.numbers[k],
                inode,
            });
        }
        let listing = format::listing(&entries);
        let position = dirs.position();
        dirs.write(&listing)?;
        let r = inodes.reference();
        inodes.write(&format::dir_inode(
            self.mtime,
            number,
            &DirData {
                mode: self.modes[d],
                listing: position,
                size: listing.len() as u32 + 3,
                links: 2 + subdirs,
                parent,
            },
        ))?;
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::compress_tree;
    use crate::spec::Compression;
    use backhand::{FilesystemReader, InnerNode};
    use std::io::Cursor;

    const BS: u32 = 4096;

    fn compressor() -> BlockCompressor {
        BlockCompressor::new(Compression::Zstd { level: 3 }, BS).unwrap()
    }

    fn file(tree: &mut Tree, path: &str, bytes: Vec<u8>, mode: u16) {
        let content = Content::Bytes(Arc::new(bytes));
        tree.insert(path, Node::File { mode, content }, "test")
            .unwrap();
    }

    /// Deterministic bytes that do not compress away.
    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed.wrapping_mul(2_654_435_761).max(1);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    fn source(tree: &Tree, name: &str) -> Source {
        let mut blocks = tempfile::tempfile().unwrap();
        let index = compress_tree(
            Tree {
                items: tree.items.clone(),
            },
            &compressor(),
            2,
            false,
            &mut blocks,
        )
        .unwrap();
        blocks.seek(SeekFrom::Start(0)).unwrap();
        Source {
            index_name: format!("{name}.index.json"),
            blocks_name: format!("{name}.blocks"),
            index,
            blocks,
        }
    }

    fn image(sources: Vec<Source>) -> Result<Vec<u8>, Error> {
        for s in &sources {
            (&s.blocks).seek(SeekFrom::Start(0)).unwrap();
        }
        let mut out = Cursor::new(Vec::new());
        let len = assemble(sources, &compressor(), 77, &mut out)?;
        assert_eq!(len, out.get_ref().len() as u64);
        Ok(out.into_inner())
    }

    /// Every path of an image (backhand's reader) with its mode and what
    /// it holds: bytes, a link target, or nothing for a directory.
    fn read_back(image: &[u8]) -> BTreeMap<String, (u16, Option<Vec<u8>>)> {
        let fs = FilesystemReader::from_reader(Cursor::new(image.to_vec())).unwrap();
        fs.files()
            .map(|node| {
                assert_eq!(
                    (node.header.uid, node.header.gid, node.header.mtime),
                    (0, 0, 77)
                );
                let path = node
                    .fullpath
                    .to_string_lossy()
                    .trim_start_matches('/')
                    .to_owned();
                let held = match &node.inner {
                    InnerNode::Dir(_) => None,
                    InnerNode::File(f) => {
                        let mut bytes = Vec::new();
                        fs.file(f).reader().read_to_end(&mut bytes).unwrap();
                        Some(bytes)
                    }
                    InnerNode::Symlink(s) => Some(s.link.as_os_str().as_encoded_bytes().to_vec()),
                    _ => panic!("{path}: unexpected kind"),
                };
                (path, (node.header.permissions, held))
            })
            .collect()
    }

    #[test]
    fn every_kind_of_node_reads_back() {
        let mut t = Tree::default();
        file(&mut t, "empty", vec![], 0o600);
        file(&mut t, "small", b"hello".to_vec(), 0o644);
        file(&mut t, "dup/small", b"hello".to_vec(), 0o755);
        file(&mut t, "block", noise(BS as usize, 1), 0o644);
        file(&mut t, "big", noise(3 * BS as usize + 17, 2), 0o755);
        file(&mut t, "dup/big", noise(3 * BS as usize + 17, 2), 0o644);
        let mut holes = noise(BS as usize, 3);
        holes.extend(vec![0; 2 * BS as usize]);
        holes.extend(noise(10, 4));
        file(&mut t, "holes", holes, 0o644);
        t.insert(
            "link",
            Node::Symlink {
                target: b"/etc/x".to_vec(),
            },
            "test",
        )
        .unwrap();
        t.insert("d/e/f", Node::Dir { mode: 0o700 }, "test")
            .unwrap();
        // Over 64 KiB of listing: the extended directory inode, and runs of
        // entries split at 256 and at inode metadata blocks.
        for i in 0..3000 {
            file(
                &mut t,
                &format!("many/{i:04}-{}", "n".repeat(20)),
                noise(i % 50, i as u32),
                0o644,
            );
        }
        let img = image(vec![source(&t, "one")]).unwrap();
        let got = read_back(&img);
        assert_eq!(got.len(), t.items.len() + 1, "every node and the root");
        for (path, item) in &t.items {
            let (mode, held) = &got[path];
            match &item.node {
                Node::Dir { mode: m } => assert_eq!((mode, held), (m, &None), "{path}"),
                Node::File { mode: m, content } => {
                    assert_eq!(mode, m, "{path}");
                    assert_eq!(
                        held.as_deref(),
                        Some(&content.read().unwrap()[..]),
                        "{path}"
                    );
                }
                Node::Symlink { target } => assert_eq!(held.as_ref(), Some(target), "{path}"),
            }
        }
        // Duplicates are stored once: without them, only metadata is saved.
        t.items.retain(|path, _| !path.starts_with("dup"));
        let unique = image(vec![source(&t, "one")]).unwrap();
        assert!(
            img.len() - unique.len() <= BS as usize,
            "{} vs {}",
            img.len(),
            unique.len()
        );
    }

    #[test]
    fn xz_and_gzip_images_read_back() {
        let mut t = Tree::default();
        file(&mut t, "big", noise(3 * BS as usize, 8), 0o644);
        file(&mut t, "text", b"hello ".repeat(2000), 0o644);
        file(&mut t, "small", b"x".to_vec(), 0o644);
        for compression in [Compression::Xz { level: 6 }, Compression::Gzip { level: 9 }] {
            let spec = crate::Spec {
                compression,
                block_size: BS,
                mtime: 77,
                max_expanded_bytes: decompress::DEFAULT_LIMIT,
                entries: vec![],
            };
            let mut out = Cursor::new(Vec::new());
            crate::write_image(&t, &spec, 2, &mut out).unwrap();
            let got = read_back(out.get_ref());
            for (path, item) in &t.items {
                let Node::File { content, .. } = &item.node else {
                    continue;
                };
                let held = got[path].1.as_deref();
                assert_eq!(
                    held,
                    Some(&content.read().unwrap()[..]),
                    "{compression:?} {path}"
                );
            }
        }
    }

    #[test]
    fn whole_blocks_are_shared_across_sources_and_fragments_are_not() {
        let mut a = Tree::default();
        file(&mut a, "a/big", noise(8 * BS as usize, 5), 0o644);
        file(&mut a, "a/small", noise(1000, 6), 0o644);
        let mut b = Tree::default();
        file(&mut b, "b/big", noise(8 * BS as usize, 5), 0o644);
        file(&mut b, "b/small", noise(1000, 6), 0o644);
        let both = image(vec![source(&a, "a"), source(&b, "b")]).unwrap();
        let alone = image(vec![source(&a, "a")]).unwrap();
        let got = read_back(&both);
        assert_eq!(got["a/big"], got["b/big"]);
        assert_eq!(got["b/small"].1.as_deref(), Some(&noise(1000, 6)[..]));
        // b adds its small file's fragment and its metadata, not its big file.
        assert!(
            both.len() - alone.len() < 2 * BS as usize,
            "{} vs {}",
            both.len(),
            alone.len()
        );
    }

    #[test]
    fn sources_merge_by_the_tree_rules() {
        let mut a = Tree::default();
        file(&mut a, "etc/x", b"one".to_vec(), 0o644);
        let mut b = Tree::default();
        file(&mut b, "etc/x", b"one".to_vec(), 0o644);
        assert!(image(vec![source(&a, "a"), source(&b, "b")]).is_ok());
        let mut c = Tree::default();
        file(&mut c, "etc/x", b"two".to_vec(), 0o644);
        let err = image(vec![source(&a, "a"), source(&c, "c")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("etc/x") && err.contains("already gave a file"),
            "{err}"
        );
    }

    fn one_source() -> Source {
        let mut t = Tree::default();
        file(&mut t, "big", noise(3 * BS as usize, 7), 0o644);
        file(&mut t, "small", b"x".to_vec(), 0o644);
        source(&t, "src")
    }

    fn refused(source: Source) -> String {
        image(vec![source]).unwrap_err().to_string()
    }

    #[test]
    fn bad_blocks_files_are_refused_naming_them() {
        let s = one_source();
        let len = s.index.blocks.bytes;
        s.blocks.set_len(len - 1).unwrap();
        let err = refused(s);
        assert!(err.starts_with("src.blocks: truncated"), "{err}");

        let s = one_source();
        s.blocks.write_at_end(b"!");
        let err = refused(s);
        assert!(
            err.starts_with("src.blocks:") && err.contains("bytes, but its index"),
            "{err}"
        );

        let s = one_source();
        std::os::unix::fs::FileExt::write_at(&s.blocks, b"\xff", 10).unwrap();
        let err = refused(s);
        assert!(
            err.starts_with("src.blocks: sha256") && err.contains("corrupt"),
            "{err}"
        );
    }

    #[test]
    fn indexes_that_do_not_match_their_blocks_are_refused() {
        let mut s = one_source();
        let IndexNode::File { data, .. } = &mut s.index.nodes[0] else {
            panic!()
        };
        data.start = s.index.blocks.bytes;
        let err = refused(s);
        assert!(
            err.starts_with("src.index.json: file \"big\"") && err.contains("outside"),
            "{err}"
        );

        let mut s = one_source();
        let IndexNode::File { data, .. } = &mut s.index.nodes[0] else {
            panic!()
        };
        data.blocks.pop();
        assert!(refused(s).contains("need 3 blocks, not 2"));

        let mut s = one_source();
        let IndexNode::File { data, .. } = &mut s.index.nodes[1] else {
            panic!()
        };
        data.size = 5000;
        assert!(refused(s).contains("do not fit fragment 0"));

        let mut s = one_source();
        s.index.format = "something/2".into();
        assert!(refused(s).contains("format \"something/2\""));
    }

    #[test]
    fn sources_compressed_with_other_settings_are_refused() {
        let mut s = one_source();
        s.index.compression = Compression::Zstd { level: 4 };
        let err = refused(s);
        assert!(
            err.starts_with("src.index.json: its blocks are compressed with Zstd { level: 4 } in 4096-byte blocks, but the image is Zstd { level: 3 }"),
            "{err}"
        );
        let mut s = one_source();
        s.index.block_size = 8192;
        assert!(refused(s).contains("in 8192-byte blocks"));
    }

    trait WriteAtEnd {
        fn write_at_end(&self, bytes: &[u8]);
    }

    impl WriteAtEnd for std::fs::File {
        fn write_at_end(&self, bytes: &[u8]) {
            let len = self.metadata().unwrap().len();
            std::os::unix::fs::FileExt::write_at(self, bytes, len).unwrap();
        }
    }
}
