//! Archive members spilled to an unlinked temporary file as they are read,
//! so that reading a .deb or a tar holds none of its files in memory: the
//! image's writer reads them back a block at a time, like files on disk.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// Bytes copied into the spill file per write.
const BUFFER: usize = 1 << 20;

/// One archive's spill file, written once, front to back.
pub struct Spill {
    file: Arc<File>,
    len: u64,
}

impl Spill {
    /// A new spill file in the temporary directory, removed when the last
    /// [`Region`] of it goes.
    pub fn new() -> std::io::Result<Spill> {
        Ok(Spill {
            file: Arc::new(tempfile::tempfile()?),
            len: 0,
        })
    }

    /// Appends everything `reader` gives; returns where it landed.
    pub fn append(&mut self, reader: &mut impl Read) -> std::io::Result<Region> {
        let mut writer = BufWriter::with_capacity(BUFFER, &*self.file);
        let len = std::io::copy(reader, &mut writer)?;
        writer.flush()?;
        let region = Region {
            file: self.file.clone(),
            offset: self.len,
            len,
        };
        self.len += len;
        Ok(region)
    }
}

/// A file's bytes in a spill file.
#[derive(Clone, Debug)]
pub struct Region {
    file: Arc<File>,
    offset: u64,
    len: u64,
}

impl Region {
    /// A reader of the bytes, independent of any other reader of the file.
    pub fn reader(&self) -> RegionReader<'_> {
        RegionReader {
            region: self,
            at: 0,
        }
    }

    /// How many bytes it holds.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Whether `self` and `other` are the same bytes of the same file.
    pub fn same_as(&self, other: &Region) -> bool {
        Arc::ptr_eq(&self.file, &other.file) && self.offset == other.offset && self.len == other.len
    }
}

/// Reads a [`Region`] with positioned reads.
pub struct RegionReader<'a> {
    region: &'a Region,
    at: u64,
}

impl Read for RegionReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.region.len - self.at;
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self
            .region
            .file
            .read_at(&mut buf[..want], self.region.offset + self.at)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the spill file is shorter than what was written to it",
            ));
        }
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(region: &Region) -> Vec<u8> {
        let mut out = Vec::new();
        region.reader().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn regions_read_back_what_was_appended_in_any_order() {
        let mut spill = Spill::new().unwrap();
        let big: Vec<u8> = (0..3 * BUFFER + 17).map(|i| (i % 251) as u8).collect();
        let a = spill.append(&mut &b"first"[..]).unwrap();
        let b = spill.append(&mut &big[..]).unwrap();
        let empty = spill.append(&mut &b""[..]).unwrap();
        let c = spill.append(&mut &b"last"[..]).unwrap();
        assert_eq!(read_all(&c), b"last");
        assert_eq!(read_all(&b), big);
        assert_eq!(read_all(&a), b"first");
        assert_eq!(read_all(&empty), b"");
        assert_eq!((a.len, b.len, c.len), (5, big.len() as u64, 4));
        assert!(a.same_as(&a.clone()) && !a.same_as(&c));
    }

    #[test]
    fn two_readers_of_one_region_do_not_disturb_each_other() {
        let mut spill = Spill::new().unwrap();
        let r = spill.append(&mut &b"0123456789"[..]).unwrap();
        let (mut x, mut y) = (r.reader(), r.reader());
        let (mut bx, mut by) = ([0u8; 4], [0u8; 6]);
        x.read_exact(&mut bx).unwrap();
        y.read_exact(&mut by).unwrap();
        assert_eq!((&bx, &by), (b"0123", b"012345"));
        let mut rest = Vec::new();
        x.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"456789");
    }
}
