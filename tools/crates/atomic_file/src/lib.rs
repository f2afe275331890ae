//! Outputs that appear atomically or not at all.
//!
//! [`AtomicFile`] writes into a temporary file beside the destination. Only
//! [`AtomicFile::commit`] makes it visible, by an fsync and a rename over the
//! destination. Dropping it uncommitted (an error, a panic) removes the
//! temporary file and leaves any existing destination untouched.

use std::fs::{File, Permissions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// An error that names the output it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {what}: {source}")]
pub struct Error {
    path: PathBuf,
    what: &'static str,
    #[source]
    source: io::Error,
}

impl Error {
    fn new(path: &Path, what: &'static str, source: io::Error) -> Self {
        Self {
            path: path.to_owned(),
            what,
            source,
        }
    }
}

/// A buffered writer whose content replaces `path` on [`commit`](Self::commit).
pub struct AtomicFile {
    path: PathBuf,
    writer: BufWriter<tempfile::NamedTempFile>,
    mode: u32,
}

impl AtomicFile {
    /// Starts a new output for `path`, mode 0644 once committed.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path.file_name().ok_or_else(|| {
            Error::new(path, "not a file path", io::ErrorKind::InvalidInput.into())
        })?;
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        prefix.push(".");
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::new(path, "cannot create a temporary file beside it", e))?;
        Ok(Self {
            path: path.to_owned(),
            writer: BufWriter::with_capacity(1 << 20, tmp),
            mode: 0o644,
        })
    }

    /// Sets the permission bits the committed file gets (before the umask is
    /// bypassed: the mode is set explicitly, so the result is reproducible).
    pub fn set_mode(&mut self, mode: u32) {
        self.mode = mode;
    }

    /// Cuts the output to `len` bytes (for writers that may leave bytes past
    /// the end they report).
    pub fn set_len(&mut self, len: u64) -> Result<(), Error> {
        self.writer
            .flush()
            .map_err(|e| Error::new(&self.path, "cannot flush", e))?;
        self.writer
            .get_ref()
            .as_file()
            .set_len(len)
            .map_err(|e| Error::new(&self.path, "cannot truncate", e))
    }

    /// Flushes, fsyncs and renames the file over the destination.
    pub fn commit(self) -> Result<(), Error> {
        let path = self.path;
        let tmp = self
            .writer
            .into_inner()
            .map_err(|e| Error::new(&path, "cannot flush", e.into_error()))?;
        let file: &File = tmp.as_file();
        file.set_permissions(Permissions::from_mode(self.mode))
            .map_err(|e| Error::new(&path, "cannot set permissions", e))?;
        file.sync_all()
            .map_err(|e| Error::new(&path, "cannot fsync", e))?;
        tmp.persist(&path)
            .map_err(|e| Error::new(&path, "cannot rename into place", e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.writer.seek(pos)
    }
}

/// Writes `data` to `path` atomically.
pub fn write(path: impl AsRef<Path>, data: &[u8]) -> Result<(), Error> {
    let path = path.as_ref();
    let mut out = AtomicFile::create(path)?;
    out.write_all(data)
        .map_err(|e| Error::new(path, "cannot write", e))?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_replaces_destination() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        fs::write(&dest, b"old").unwrap();
        write(&dest, b"new").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(leftovers(dir.path()), ["out.bin"]);
    }

    #[test]
    fn dropped_output_leaves_destination_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        fs::write(&dest, b"old").unwrap();
        {
            let mut out = AtomicFile::create(&dest).unwrap();
            out.write_all(b"half").unwrap();
            out.flush().unwrap();
        }
        assert_eq!(fs::read(&dest).unwrap(), b"old");
        assert_eq!(leftovers(dir.path()), ["out.bin"]);
    }

    #[test]
    fn mode_is_explicit() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("tool");
        let mut out = AtomicFile::create(&dest).unwrap();
        out.set_mode(0o755);
        out.write_all(b"#!/bin/sh\n").unwrap();
        out.commit().unwrap();
        assert_eq!(
            fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
            0o755
        );
    }

    #[test]
    fn missing_directory_is_named_in_the_error() {
        let err = write("/nonexistent-dir-for-test/out.bin", b"x")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("/nonexistent-dir-for-test/out.bin: "),
            "{err}"
        );
    }
}
