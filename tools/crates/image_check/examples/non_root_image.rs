//! Writes a SquashFS image with an entry owned by uid/gid 1000, which
//! squashfs_pack never makes: a fixture that shows the image validation fires.
//!
//! Usage: non_root_image OUT

use backhand::compression::Compressor;
use backhand::{FilesystemCompressor, FilesystemWriter, NodeHeader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .ok_or("usage: non_root_image OUT")?;
    let mut writer = FilesystemWriter::default();
    writer.set_compressor(FilesystemCompressor::new(Compressor::Gzip, None)?);
    writer.push_dir("etc", NodeHeader::new(0o755, 0, 0, 0))?;
    writer.push_file(
        std::io::Cursor::new(b"user:x:1000:1000::/home/user:/bin/sh\n".to_vec()),
        "etc/passwd",
        NodeHeader::new(0o644, 1000, 1000, 0),
    )?;
    writer.write(&mut std::fs::File::create(&out)?)?;
    Ok(())
}
