//! A whole image in one go: the tree as one source's blocks, in a temporary
//! file, then assembled.

use crate::assemble::assemble;
use crate::compress::BlockCompressor;
use crate::spec::Spec;
use crate::tree::Tree;
use crate::Error;
use std::io::{Seek, Write};

/// What the write did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes of the image, padding included.
    pub bytes: u64,
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
    let tree = Tree {
        items: tree.items.clone(),
    };
    let source = crate::temporary_source(tree, &compressor, threads, "the image")?;
    let bytes = assemble(vec![source], &compressor, spec.mtime, out)?;
    Ok(Stats { bytes })
}
