//! `actiond-tool zstd`: compress one file with zstd, or decompress one.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

/// Decompresses `input` (any zstd, xz or gzip stream) into `output`.
pub(crate) fn decompress(input: &Path, output: &Path) -> Result<()> {
    let file = File::open(input).with_context(|| format!("{}: cannot open", input.display()))?;
    let (_, mut reader) = decompress::open(file).with_context(|| format!("{}", input.display()))?;
    let mut out = atomic_file::AtomicFile::create(output)?;
    std::io::copy(&mut reader, &mut out)
        .with_context(|| format!("{}: cannot decompress", input.display()))?;
    out.commit()?;
    Ok(())
}

/// Compresses `input` into `output`; with `kernel`, `input` must be a Linux
/// kernel image.
pub(crate) fn zstd(
    input: &Path,
    output: &Path,
    level: i32,
    long: bool,
    threads: u32,
    kernel: bool,
) -> Result<()> {
    let mut file =
        File::open(input).with_context(|| format!("{}: cannot open", input.display()))?;
    if kernel {
        let mut head = Vec::new();
        (&mut file)
            .take(0x400)
            .read_to_end(&mut head)
            .with_context(|| format!("{}: cannot read", input.display()))?;
        linux_kernel::identify(&head).map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
        file.seek(std::io::SeekFrom::Start(0))?;
    }
    let size = file
        .metadata()
        .with_context(|| format!("{}: cannot stat", input.display()))?
        .len();
    let options = zstd_compress::Options {
        level,
        long_distance_matching: long,
        threads,
    };
    let out = atomic_file::AtomicFile::create(output)?;
    let out = zstd_compress::compress(file, out, Some(size), &options).with_context(|| {
        format!(
            "{}: cannot compress into {}",
            input.display(),
            output.display()
        )
    })?;
    out.commit()?;
    Ok(())
}
