//! A whole image in one go: the tree as one source's blocks, in a temporary
//! file, then assembled.

use crate::assemble::{assemble, Source};
use crate::blocks::compress_tree;
use crate::compress::BlockCompressor;
use crate::spec::Spec;
use crate::tree::Tree;
use crate::Error;
use std::io::{Seek, SeekFrom, Write};

/// What the write did, for messages and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes of the image, padding included.
    pub bytes: u64,
    /// Bytes of compressed data and fragment blocks.
    pub data_bytes: u64,
}

/// Writes `tree` as a SquashFS image into `out`, compressing on `threads`
/// threads; the bytes do not depend on the thread count.
pub fn write_image<W: Write + Seek>(
    tree: &Tree,
    spec: &Spec,
    threads: usize,
    out: W,
) -> Result<Stats, Error> {
    let compressor = BlockCompressor::new(spec.compression, spec.block_size)?;
    let mut blocks = tempfile::tempfile().map_err(|e| Error::io("a temporary blocks file", e))?;
    let index = compress_tree(
        Tree {
            items: tree.items.clone(),
        },
        &compressor,
        threads,
        std::io::BufWriter::new(&blocks),
    )?;
    blocks
        .seek(SeekFrom::Start(0))
        .map_err(|e| Error::io("a temporary blocks file", e))?;
    let data_bytes = index.blocks.bytes;
    let source = Source {
        index_name: "the image's index".into(),
        blocks_name: "the image's blocks".into(),
        index,
        blocks,
    };
    let bytes = assemble(vec![source], &compressor, spec.mtime, out)?;
    Ok(Stats { bytes, data_bytes })
}
