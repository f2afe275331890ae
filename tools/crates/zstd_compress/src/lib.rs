//! Deterministic zstd compression.
//!
//! zstd's multi-threaded mode produces the same frame for every worker count
//! of one or more, but a different frame from its single-threaded mode. This
//! crate always uses the multi-threaded mode, so its output depends only on
//! the input and [`Options::level`] / [`Options::long_distance_matching`],
//! never on [`Options::threads`].

use std::io::{self, Read, Write};

/// Compression settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// zstd level, 1..=22 (levels above 19 are zstd's "ultra" levels).
    pub level: i32,
    /// Long-distance matching, which helps large inputs with far repeats.
    pub long_distance_matching: bool,
    /// Worker threads; 0 is read as 1. The output does not depend on it.
    pub threads: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            level: 19,
            long_distance_matching: false,
            threads: 1,
        }
    }
}

/// Errors from [`compress`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("zstd level {0} is out of range {min}..={max}", min = 1, max = zstd::compression_level_range().end())]
    Level(i32),
    #[error("zstd: {0}")]
    Io(#[from] io::Error),
}

/// Compresses all of `input` into `output` as one zstd frame.
///
/// `size`, when known, is written into the frame header, so that readers can
/// preallocate; it must be the exact number of bytes `input` yields.
pub fn compress<R: Read, W: Write>(
    mut input: R,
    output: W,
    size: Option<u64>,
    options: &Options,
) -> Result<W, Error> {
    if !(1..=*zstd::compression_level_range().end()).contains(&options.level) {
        return Err(Error::Level(options.level));
    }
    let mut encoder = zstd::stream::Encoder::new(output, options.level)?;
    encoder.multithread(options.threads.max(1))?;
    encoder.long_distance_matching(options.long_distance_matching)?;
    encoder.include_checksum(true)?;
    encoder.include_contentsize(size.is_some())?;
    encoder.set_pledged_src_size(size)?;
    io::copy(&mut input, &mut encoder)?;
    Ok(encoder.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compressible but not trivial data, with repeats far apart.
    fn sample(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let block: Vec<u8> = (0..64 * 1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                b"abcdefgh"[(state % 8) as usize]
            })
            .collect();
        block.iter().cycle().take(len).copied().collect()
    }

    fn run(data: &[u8], options: &Options) -> Vec<u8> {
        compress(data, Vec::new(), Some(data.len() as u64), options).unwrap()
    }

    #[test]
    fn round_trips() {
        let data = sample(3 << 20);
        let packed = run(
            &data,
            &Options {
                level: 3,
                ..Options::default()
            },
        );
        assert!(packed.len() < data.len() / 4, "{} bytes", packed.len());
        assert_eq!(zstd::decode_all(&packed[..]).unwrap(), data);
    }

    #[test]
    fn output_is_independent_of_thread_count() {
        // Larger than one zstd job, so that several workers really split it.
        let data = sample(12 << 20);
        for long_distance_matching in [false, true] {
            let options = |threads| Options {
                level: 3,
                long_distance_matching,
                threads,
            };
            let one = run(&data, &options(1));
            for threads in [0, 2, 4] {
                assert!(
                    one == run(&data, &options(threads)),
                    "threads={threads} ldm={long_distance_matching}"
                );
            }
        }
    }

    #[test]
    fn frame_records_content_size() {
        let data = sample(1000);
        let packed = run(&data, &Options::default());
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(&packed).unwrap(),
            Some(1000)
        );
    }

    #[test]
    fn rejects_out_of_range_level() {
        for level in [0, 23, -5] {
            let err = compress(
                &b""[..],
                Vec::new(),
                None,
                &Options {
                    level,
                    ..Options::default()
                },
            )
            .unwrap_err();
            assert!(matches!(err, Error::Level(l) if l == level), "{err}");
        }
    }
}
