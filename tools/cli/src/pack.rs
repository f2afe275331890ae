//! `actiond-tool squashfs-pack` and `actiond-tool initramfs`: images from specs.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes the SquashFS image of `spec` to `out`.
pub(crate) fn squashfs(spec: &Path, out: &Path, threads: usize) -> Result<()> {
    let parsed = squashfs_pack::Spec::read(spec)?;
    let mut file = atomic_file::AtomicFile::create(out)?;
    let bytes = squashfs_pack::pack_image(&parsed, Path::new("."), threads, &mut file)
        .with_context(|| format!("{}", out.display()))?;
    file.set_len(bytes)?;
    file.commit()?;
    Ok(())
}

/// Writes the blocks and index of the one source `spec` describes.
pub(crate) fn squashfs_compress(
    spec: &Path,
    blocks: &Path,
    index: &Path,
    threads: usize,
    share_cores: bool,
) -> Result<()> {
    let parsed = squashfs_pack::Spec::read(spec)?;
    let mut blocks_file = atomic_file::AtomicFile::create(blocks)?;
    let written = squashfs_pack::compress_source(
        &parsed,
        Path::new("."),
        threads,
        share_cores,
        std::io::BufWriter::new(&mut blocks_file),
    )
    .with_context(|| format!("{}", blocks.display()))?;
    let mut index_file = atomic_file::AtomicFile::create(index)?;
    let mut writer = std::io::BufWriter::new(&mut index_file);
    serde_json::to_writer(&mut writer, &written)
        .map_err(std::io::Error::from)
        .and_then(|()| writer.flush())
        .with_context(|| format!("{}", index.display()))?;
    drop(writer);
    blocks_file.commit()?;
    index_file.commit()?;
    Ok(())
}

/// Writes the image that `spec` assembles from compressed sources.
pub(crate) fn squashfs_assemble(spec: &Path, out: &Path, threads: usize) -> Result<()> {
    let parsed: squashfs_pack::AssembleSpec = squashfs_pack::read_json(spec)?;
    let mut file = atomic_file::AtomicFile::create(out)?;
    let bytes = squashfs_pack::assemble_image(&parsed, Path::new("."), threads, &mut file)
        .with_context(|| format!("{}", out.display()))?;
    file.set_len(bytes)?;
    file.commit()?;
    Ok(())
}

/// Writes the zstd-compressed cpio of `spec` to `out`.
pub(crate) fn initramfs(spec: &Path, out: &Path, threads: u32) -> Result<()> {
    let parsed = initramfs::Spec::read(spec)?;
    let file = atomic_file::AtomicFile::create(out)?;
    let file = initramfs::write_compressed(&parsed, Path::new("."), threads, file)
        .with_context(|| format!("{}", out.display()))?;
    file.commit()?;
    Ok(())
}
