//! SquashFS 4.0's on-disk structures, little-endian: the superblock,
//! metadata blocks, inodes and directory listings.

use crate::blocks::StoredFile;
use crate::compress::BlockCompressor;
use crate::Error;

pub const SUPERBLOCK_SIZE: u64 = 96;
/// A data or fragment block's size word: this bit means stored uncompressed.
pub const UNCOMPRESSED_BLOCK: u32 = 1 << 24;
/// An inode's fragment index when its file has no fragment.
pub const NO_FRAGMENT: u32 = u32::MAX;
/// Bytes of a metadata block before compression.
const METADATA_SIZE: usize = 8192;
const UNCOMPRESSED_METADATA: u16 = 1 << 15;
const NO_TABLE: u64 = u64::MAX;
const NO_XATTR: u32 = u32::MAX;

const FLAG_NO_XATTRS: u16 = 0x0200;
const FLAG_DUPLICATES: u16 = 0x0040;
const FLAG_COMPRESSOR_OPTIONS: u16 = 0x0400;

/// Directory entry and inode types.
pub const DIR: u16 = 1;
pub const FILE: u16 = 2;
pub const SYMLINK: u16 = 3;
const EXT_DIR: u16 = 8;
const EXT_FILE: u16 = 9;

/// Metadata blocks: 8 KiB of bytes, each compressed on its own behind a
/// two-byte header. A position in them is a reference: the block's offset
/// from the table's start, shifted left 16, plus the offset inside it.
pub struct MetadataWriter<'a> {
    compressor: &'a BlockCompressor,
    out: Vec<u8>,
    pending: Vec<u8>,
    /// Where each block starts in `out`.
    pub starts: Vec<u64>,
}

impl<'a> MetadataWriter<'a> {
    pub fn new(compressor: &'a BlockCompressor) -> MetadataWriter<'a> {
        MetadataWriter {
            compressor,
            out: Vec::new(),
            pending: Vec::with_capacity(METADATA_SIZE),
            starts: Vec::new(),
        }
    }

    /// The offset of the current block from the table's start, and the
    /// offset of the next byte inside it.
    pub fn position(&self) -> (u32, u16) {
        (self.out.len() as u32, self.pending.len() as u16)
    }

    /// The reference of the next byte written.
    pub fn reference(&self) -> u64 {
        ((self.out.len() as u64) << 16) | self.pending.len() as u64
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.pending.extend_from_slice(bytes);
        while self.pending.len() >= METADATA_SIZE {
            let rest = self.pending.split_off(METADATA_SIZE);
            self.flush()?;
            self.pending = rest;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.starts.push(self.out.len() as u64);
        match self.compressor.compress(&self.pending)? {
            Some(packed) => {
                self.out
                    .extend_from_slice(&(packed.len() as u16).to_le_bytes());
                self.out.extend_from_slice(&packed);
            }
            None => {
                let header = self.pending.len() as u16 | UNCOMPRESSED_METADATA;
                self.out.extend_from_slice(&header.to_le_bytes());
                self.out.extend_from_slice(&self.pending);
            }
        }
        self.pending.clear();
        Ok(())
    }

    /// The table's bytes, and where each of its blocks starts.
    pub fn finish(mut self) -> Result<(Vec<u8>, Vec<u64>), Error> {
        if !self.pending.is_empty() {
            self.flush()?;
        }
        Ok((self.out, self.starts))
    }
}

/// The compressor options as the image stores them: one metadata block,
/// uncompressed, as the format requires.
pub fn options_block(options: &[u8]) -> Vec<u8> {
    let header = options.len() as u16 | UNCOMPRESSED_METADATA;
    [&header.to_le_bytes()[..], options].concat()
}

/// A table of metadata blocks (fragment or id entries) written at `at`, and
/// the list of where each of its blocks starts, which the superblock points
/// at: (the blocks, the list).
pub fn indexed_table(
    compressor: &BlockCompressor,
    entries: &[u8],
    at: u64,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let mut table = MetadataWriter::new(compressor);
    table.write(entries)?;
    let (bytes, starts) = table.finish()?;
    let pointers = starts.iter().flat_map(|s| (at + s).to_le_bytes()).collect();
    Ok((bytes, pointers))
}

/// The 16 bytes every inode starts with: uid and gid are index 0 of the id
/// table, which holds only 0.
fn inode_header(kind: u16, mode: u16, mtime: u32, number: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&(mode & 0o7777).to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&mtime.to_le_bytes());
    b.extend_from_slice(&number.to_le_bytes());
    b
}

/// A regular file's inode: where its blocks start, each block's size word,
/// and its fragment (index, offset) if its tail is in one.
pub fn file_inode(mode: u16, mtime: u32, number: u32, data: &StoredFile) -> Vec<u8> {
    let (fragment, offset) = data.fragment.unwrap_or((NO_FRAGMENT, 0));
    let basic = data.size <= u32::MAX as u64 && data.start <= u32::MAX as u64;
    let mut b = inode_header(if basic { FILE } else { EXT_FILE }, mode, mtime, number);
    if basic {
        b.extend_from_slice(&(data.start as u32).to_le_bytes());
        b.extend_from_slice(&fragment.to_le_bytes());
        b.extend_from_slice(&offset.to_le_bytes());
        b.extend_from_slice(&(data.size as u32).to_le_bytes());
    } else {
        b.extend_from_slice(&data.start.to_le_bytes());
        b.extend_from_slice(&data.size.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes()); // sparse bytes: informational
        b.extend_from_slice(&1u32.to_le_bytes()); // links
        b.extend_from_slice(&fragment.to_le_bytes());
        b.extend_from_slice(&offset.to_le_bytes());
        b.extend_from_slice(&NO_XATTR.to_le_bytes());
    }
    for size in &data.blocks {
        b.extend_from_slice(&size.to_le_bytes());
    }
    b
}

pub fn symlink_inode(mtime: u32, number: u32, target: &[u8]) -> Vec<u8> {
    let mut b = inode_header(SYMLINK, 0o777, mtime, number);
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&(target.len() as u32).to_le_bytes());
    b.extend_from_slice(target);
    b
}

/// A directory: its listing's position and size in the directory table.
pub struct DirData {
    pub mode: u16,
    pub listing: (u32, u16),
    /// The listing's bytes plus 3 (for "." and ".."), as the format counts.
    pub size: u32,
    pub links: u32,
    pub parent: u32,
}

pub fn dir_inode(mtime: u32, number: u32, d: &DirData) -> Vec<u8> {
    if d.size <= u16::MAX as u32 {
        let mut b = inode_header(DIR, d.mode, mtime, number);
        b.extend_from_slice(&d.listing.0.to_le_bytes());
        b.extend_from_slice(&d.links.to_le_bytes());
        b.extend_from_slice(&(d.size as u16).to_le_bytes());
        b.extend_from_slice(&d.listing.1.to_le_bytes());
        b.extend_from_slice(&d.parent.to_le_bytes());
        return b;
    }
    // A listing over 64 KiB: the extended inode, without a lookup index
    // (readers then scan the listing, as they do for a basic directory).
    let mut b = inode_header(EXT_DIR, d.mode, mtime, number);
    b.extend_from_slice(&d.links.to_le_bytes());
    b.extend_from_slice(&d.size.to_le_bytes());
    b.extend_from_slice(&d.listing.0.to_le_bytes());
    b.extend_from_slice(&d.parent.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&d.listing.1.to_le_bytes());
    b.extend_from_slice(&NO_XATTR.to_le_bytes());
    b
}

/// One name of a directory listing.
pub struct DirEntry<'a> {
    pub name: &'a [u8],
    pub kind: u16,
    pub number: u32,
    /// The inode's reference in the inode table.
    pub inode: u64,
}

/// A directory's listing, sorted by name: runs of at most 256 entries whose
/// inodes share a metadata block and whose numbers are near a base.
pub fn listing(entries: &[DirEntry]) -> Vec<u8> {
    let mut b = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let block = (entries[i].inode >> 16) as u32;
        let base = entries[i].number;
        let run = entries[i..]
            .iter()
            .take(256)
            .take_while(|e| {
                (e.inode >> 16) as u32 == block
                    && i16::try_from(e.number as i64 - base as i64).is_ok()
            })
            .count();
        b.extend_from_slice(&(run as u32 - 1).to_le_bytes());
        b.extend_from_slice(&block.to_le_bytes());
        b.extend_from_slice(&base.to_le_bytes());
        for e in &entries[i..i + run] {
            b.extend_from_slice(&((e.inode & 0xffff) as u16).to_le_bytes());
            b.extend_from_slice(&((e.number as i64 - base as i64) as i16).to_le_bytes());
            b.extend_from_slice(&e.kind.to_le_bytes());
            b.extend_from_slice(&(e.name.len() as u16 - 1).to_le_bytes());
            b.extend_from_slice(e.name);
        }
        i += run;
    }
    b
}

/// Where the superblock's tables start, and what it counts.
pub struct Superblock {
    pub inodes: u32,
    pub mtime: u32,
    pub block_size: u32,
    pub fragments: u32,
    pub compressor: u16,
    pub options: bool,
    pub root: u64,
    pub bytes_used: u64,
    pub id_table: u64,
    pub inode_table: u64,
    pub directory_table: u64,
    pub fragment_table: u64,
}

impl Superblock {
    pub fn bytes(&self) -> [u8; SUPERBLOCK_SIZE as usize] {
        let mut b = Vec::with_capacity(SUPERBLOCK_SIZE as usize);
        b.extend_from_slice(b"hsqs");
        b.extend_from_slice(&self.inodes.to_le_bytes());
        b.extend_from_slice(&self.mtime.to_le_bytes());
        b.extend_from_slice(&self.block_size.to_le_bytes());
        b.extend_from_slice(&self.fragments.to_le_bytes());
        b.extend_from_slice(&self.compressor.to_le_bytes());
        b.extend_from_slice(&(self.block_size.trailing_zeros() as u16).to_le_bytes());
        let mut flags = FLAG_NO_XATTRS | FLAG_DUPLICATES;
        if self.options {
            flags |= FLAG_COMPRESSOR_OPTIONS;
        }
        b.extend_from_slice(&flags.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes()); // ids
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&self.root.to_le_bytes());
        b.extend_from_slice(&self.bytes_used.to_le_bytes());
        b.extend_from_slice(&self.id_table.to_le_bytes());
        b.extend_from_slice(&NO_TABLE.to_le_bytes()); // xattrs
        b.extend_from_slice(&self.inode_table.to_le_bytes());
        b.extend_from_slice(&self.directory_table.to_le_bytes());
        b.extend_from_slice(&self.fragment_table.to_le_bytes());
        b.extend_from_slice(&NO_TABLE.to_le_bytes()); // export
        b.try_into().expect("96 bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Compression;

    #[test]
    fn metadata_blocks_split_at_8_kib_and_references_point_into_them() {
        let c = BlockCompressor::new(Compression::Gzip { level: 6 }, 4096).unwrap();
        let mut m = MetadataWriter::new(&c);
        m.write(&[0u8; 8000]).unwrap();
        assert_eq!(m.reference(), 8000);
        m.write(&[0u8; 300]).unwrap();
        let (block, offset) = m.position();
        assert!(block > 0 && offset == 108, "{block} {offset}");
        let (bytes, starts) = m.finish().unwrap();
        assert_eq!(starts, vec![0, block as u64]);
        let header = u16::from_le_bytes([bytes[0], bytes[1]]);
        assert_eq!(header & UNCOMPRESSED_METADATA, 0, "zeros compress");
        assert_eq!(header as usize + 2, block as usize);
    }

    #[test]
    fn listings_start_a_run_when_the_inode_block_changes() {
        let e = |name: &'static [u8], number, inode| DirEntry {
            name,
            kind: FILE,
            number,
            inode,
        };
        let bytes = listing(&[e(b"a", 5, 0x10), e(b"b", 6, 0x20), e(b"c", 7, 1 << 16)]);
        // Two headers (12 bytes each), three entries (8 bytes and a name each).
        assert_eq!(bytes.len(), 2 * 12 + 3 * 9);
        assert_eq!(u32::from_le_bytes(bytes[0..4].try_into().unwrap()), 1);
        let second = 12 + 2 * 9;
        assert_eq!(
            u32::from_le_bytes(bytes[second + 4..second + 8].try_into().unwrap()),
            1
        );
    }
}
