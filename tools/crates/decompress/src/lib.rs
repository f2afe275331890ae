//! Streams that decompress xz, zstd or gzip, or pass plain data through,
//! chosen by the stream's magic bytes rather than by a file name.

use std::io::{self, BufRead, BufReader, Read};

/// A compression format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xz,
    Zstd,
    Gzip,
    Plain,
}

impl Format {
    /// The format whose magic `head` starts with; `Plain` if none.
    pub fn sniff(head: &[u8]) -> Format {
        if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Format::Xz
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Format::Zstd
        } else if head.starts_with(&[0x1f, 0x8b]) {
            Format::Gzip
        } else {
            Format::Plain
        }
    }

    /// The format a `.tar.<suffix>` member name declares, e.g. `data.tar.zst`.
    pub fn from_suffix(name: &str) -> Option<Format> {
        match name.rsplit_once(".tar")?.1 {
            ".xz" => Some(Format::Xz),
            ".zst" => Some(Format::Zstd),
            ".gz" => Some(Format::Gzip),
            "" => Some(Format::Plain),
            _ => None,
        }
    }
}

/// Errors from [`open`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the stream's first bytes: {0}")]
    Io(#[from] io::Error),
}

/// The default for [`Limited`]: 4 GiB of expanded bytes from one stream.
pub const DEFAULT_LIMIT: u64 = 4 << 30;

/// A reader that fails once more than `limit` bytes have come through it,
/// so that a small compressed stream (a decompression bomb) cannot expand
/// without bound. The error is [`io::ErrorKind::FileTooLarge`] with a
/// [`LimitExceeded`] inside, which [`LimitExceeded::of`] finds again.
pub struct Limited<R> {
    inner: R,
    limit: u64,
    read: u64,
    exceeded: bool,
}

/// The error [`Limited`] gives: the stream expands past `limit` bytes.
#[derive(Debug, thiserror::Error)]
#[error("expands past the limit of {limit} bytes")]
pub struct LimitExceeded {
    pub limit: u64,
}

impl LimitExceeded {
    /// The [`LimitExceeded`] inside `err`, if it is one.
    pub fn of(err: &io::Error) -> Option<&LimitExceeded> {
        err.get_ref()?.downcast_ref::<LimitExceeded>()
    }
}

impl<R: Read> Limited<R> {
    /// Wraps `inner`, allowing at most `limit` bytes through.
    pub fn new(inner: R, limit: u64) -> Self {
        Limited {
            inner,
            limit,
            read: 0,
            exceeded: false,
        }
    }

    /// Whether a read failed because the stream went past the limit (an
    /// error a consumer such as a tar reader may have wrapped in its own).
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }

    /// Bytes that may still come through before the limit is hit.
    pub fn remaining(&self) -> u64 {
        self.limit - self.read
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Ask for one byte more than allowed, so that a stream of exactly
        // `limit` bytes passes and a longer one is caught.
        let room = usize::try_from(self.remaining().saturating_add(1)).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.remaining() {
            self.exceeded = true;
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                LimitExceeded { limit: self.limit },
            ));
        }
        self.read += n as u64;
        Ok(n)
    }
}

/// Wraps `inner` in the decompressor its magic bytes call for.
pub fn open<'a, R: Read + 'a>(inner: R) -> Result<(Format, Box<dyn Read + 'a>), Error> {
    let mut buffered = BufReader::with_capacity(1 << 16, inner);
    let format = Format::sniff(buffered.fill_buf()?);
    let reader: Box<dyn Read + 'a> = match format {
        Format::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(buffered)),
        Format::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(buffered)),
        Format::Plain => Box::new(buffered),
    };
    Ok((format, reader))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TEXT: &[u8] = b"Package: libc6\nVersion: 2.35-0ubuntu3\n\n";

    fn round_trip(packed: Vec<u8>, want: Format) {
        let (format, mut reader) = open(&packed[..]).unwrap();
        assert_eq!(format, want);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, TEXT);
    }

    #[test]
    fn xz() {
        let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 6);
        enc.write_all(TEXT).unwrap();
        round_trip(enc.finish().unwrap(), Format::Xz);
    }

    #[test]
    fn zstd() {
        round_trip(zstd::encode_all(TEXT, 3).unwrap(), Format::Zstd);
    }

    #[test]
    fn gzip() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(TEXT).unwrap();
        round_trip(enc.finish().unwrap(), Format::Gzip);
    }

    #[test]
    fn plain() {
        round_trip(TEXT.to_vec(), Format::Plain);
    }

    #[test]
    fn corrupt_xz_is_an_error_not_a_panic() {
        let mut packed = {
            let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 6);
            enc.write_all(TEXT).unwrap();
            enc.finish().unwrap()
        };
        let n = packed.len();
        packed[n / 2] ^= 0xff;
        let (_, mut reader) = open(&packed[..]).unwrap();
        assert!(reader.read_to_end(&mut Vec::new()).is_err());
    }

    #[test]
    fn limited_passes_up_to_the_limit_and_fails_past_it() {
        let bomb = zstd::encode_all(&vec![0u8; 1 << 20][..], 19).unwrap();
        assert!(bomb.len() < 1000, "a small stream that expands a lot");
        let (_, reader) = open(&bomb[..]).unwrap();
        let mut out = Vec::new();
        Limited::new(reader, 1 << 20).read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 1 << 20);
        let (_, reader) = open(&bomb[..]).unwrap();
        let mut out = Vec::new();
        let err = Limited::new(reader, 4096)
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(LimitExceeded::of(&err).unwrap().limit, 4096);
        assert_eq!(err.to_string(), "expands past the limit of 4096 bytes");
        assert!(out.len() <= 4096);
    }

    #[test]
    fn suffixes() {
        assert_eq!(Format::from_suffix("data.tar.xz"), Some(Format::Xz));
        assert_eq!(Format::from_suffix("data.tar.zst"), Some(Format::Zstd));
        assert_eq!(Format::from_suffix("control.tar.gz"), Some(Format::Gzip));
        assert_eq!(Format::from_suffix("data.tar"), Some(Format::Plain));
        assert_eq!(Format::from_suffix("data.tar.bz2"), None);
    }
}
