//! `actiond-tool squashfs-pack` and `actiond-tool initramfs`: images from specs.

use anyhow::{Context, Result};
use std::path::Path;

/// Writes the SquashFS image of `spec` to `out`.
pub(crate) fn squashfs(spec: &Path, out: &Path, threads: usize, verbose: bool) -> Result<()> {
    let parsed = squashfs_pack::Spec::read(spec)?;
    let tree = squashfs_pack::build_tree(&parsed, Path::new("."), threads)?;
    let mut file = atomic_file::AtomicFile::create(out)?;
    let stats = squashfs_pack::write_image(&tree, &parsed, threads, &mut file)
        .with_context(|| format!("{}", out.display()))?;
    file.set_len(stats.bytes)?;
    file.commit()?;
    if verbose {
        eprintln!(
            "actiond-tool: {}: {} bytes, {} of {} precompressed blocks reused",
            out.display(),
            stats.bytes,
            stats.cache_hits,
            stats.precompressed
        );
    }
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
