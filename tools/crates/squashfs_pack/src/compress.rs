//! One block's compression, for data, fragment and metadata blocks alike.
//!
//! zstd goes through a context reused per thread (zstd's output does not
//! depend on a context's history, and making one per block is costly at high
//! levels); xz uses a dictionary of the block size, with a CRC32 check, as
//! the kernel's decompressor requires; gzip is a zlib stream.

use crate::spec::Compression;
use crate::Error;
use std::io::Write;

/// The compressor of one image: an algorithm, its level and the block size.
#[derive(Clone, Copy, Debug)]
pub struct BlockCompressor {
    compression: Compression,
    block_size: u32,
}

impl BlockCompressor {
    /// Checks the settings: a block size that is a power of two from 4 KiB
    /// to 1 MiB, and a level the algorithm has.
    pub fn new(compression: Compression, block_size: u32) -> Result<BlockCompressor, Error> {
        if !block_size.is_power_of_two() || !(4096..=1 << 20).contains(&block_size) {
            return Err(Error::Spec(format!(
                "block_size {block_size} must be a power of two from 4096 to 1048576"
            )));
        }
        let valid = match compression {
            Compression::Zstd { level } => (1..=22).contains(&level),
            Compression::Xz { level } => level <= 9,
            Compression::Gzip { level } => (1..=9).contains(&level),
        };
        if !valid {
            return Err(Error::Spec(format!(
                "compression {compression:?}: level out of range (zstd 1-22, xz 0-9, gzip 1-9)"
            )));
        }
        Ok(BlockCompressor {
            compression,
            block_size,
        })
    }

    pub fn compression(&self) -> Compression {
        self.compression
    }

    pub fn block_size(&self) -> u32 {
        self.block_size
    }

    /// The superblock's compressor id.
    pub fn id(&self) -> u16 {
        match self.compression {
            Compression::Gzip { .. } => 1,
            Compression::Xz { .. } => 4,
            Compression::Zstd { .. } => 6,
        }
    }

    /// The compressor options the image records, if any: zstd's level.
    /// Readers never need them to decompress, so gzip's and xz's defaults
    /// are left out, as mksquashfs leaves them out.
    pub fn options(&self) -> Option<Vec<u8>> {
        match self.compression {
            Compression::Zstd { level } => Some(level.to_le_bytes().to_vec()),
            _ => None,
        }
    }

    /// `raw` compressed, or None when compressing does not make it smaller
    /// (the block is then stored as it is).
    pub fn compress(&self, raw: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let packed = match self.compression {
            Compression::Zstd { level } => zstd_compress(raw, level as i32),
            Compression::Xz { level } => xz_compress(raw, level, self.block_size),
            Compression::Gzip { level } => {
                let mut z = flate2::write::ZlibEncoder::new(
                    Vec::with_capacity(raw.len()),
                    flate2::Compression::new(level),
                );
                z.write_all(raw).and_then(|_| z.finish())
            }
        }
        .map_err(|e| Error::Write(format!("compressing a block: {e}")))?;
        Ok((packed.len() < raw.len()).then_some(packed))
    }
}

fn xz_compress(raw: &[u8], level: u32, block_size: u32) -> std::io::Result<Vec<u8>> {
    use liblzma::stream::{Check, Filters, LzmaOptions, Stream};
    let mut options = LzmaOptions::new_preset(level)?;
    options.dict_size(block_size);
    let mut filters = Filters::new();
    filters.lzma2(&options);
    let stream = Stream::new_stream_encoder(&filters, Check::Crc32)?;
    let mut xz = liblzma::write::XzEncoder::new_stream(Vec::with_capacity(raw.len()), stream);
    xz.write_all(raw)?;
    xz.finish()
}

fn zstd_compress(raw: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    thread_local! {
        static ZSTD: std::cell::RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { std::cell::RefCell::new(None) };
    }
    ZSTD.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().map(|(l, _)| *l) != Some(level) {
            *slot = Some((level, zstd::bulk::Compressor::new(level)?));
        }
        let (_, compressor) = slot.as_mut().expect("set above");
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(raw.len()));
        compressor.compress_to_buffer(raw, &mut out)?;
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_and_incompressible_blocks_stay_raw() {
        assert!(BlockCompressor::new(Compression::Zstd { level: 3 }, 5000)
            .unwrap_err()
            .to_string()
            .contains("power of two"));
        assert!(BlockCompressor::new(Compression::Zstd { level: 23 }, 4096).is_err());
        assert!(BlockCompressor::new(Compression::Gzip { level: 0 }, 4096).is_err());
        for compression in [
            Compression::Zstd { level: 3 },
            Compression::Xz { level: 1 },
            Compression::Gzip { level: 6 },
        ] {
            let c = BlockCompressor::new(compression, 4096).unwrap();
            assert!(c.compress(&[7u8; 4096]).unwrap().unwrap().len() < 4096);
            assert_eq!(c.compress(&[1, 2, 3]).unwrap(), None, "{compression:?}");
        }
    }
}
