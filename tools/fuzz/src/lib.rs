//! Helpers shared by the fuzz targets and the seed corpus generator: small
//! valid inputs built by code, so that nothing big is stored in git.

use std::io::Write;
pub use test_fixtures::deb;
use test_fixtures::{tar_header, tar_of};

pub mod seeds;
pub mod targets;

/// The expansion limit the targets use, far below the tools' default, so
/// that a decompression bomb is refused long before it exhausts memory.
pub const LIMIT: u64 = 16 << 20;

/// A tar with a directory, files, a symlink and a hard link.
pub fn sample_tar() -> Vec<u8> {
    tar_of(|b| {
        b.append_data(
            &mut tar_header(tar::EntryType::Directory, 0o755, 0),
            "./usr/bin/",
            &[][..],
        )
        .unwrap();
        b.append_data(
            &mut tar_header(tar::EntryType::Regular, 0o4755, 3),
            "./usr/bin/su",
            &b"su!"[..],
        )
        .unwrap();
        b.append_link(
            &mut tar_header(tar::EntryType::Symlink, 0o777, 0),
            "./lib64/ld.so",
            "/lib/x86_64-linux-gnu/ld.so",
        )
        .unwrap();
        b.append_link(
            &mut tar_header(tar::EntryType::Link, 0o755, 0),
            "./usr/bin/su2",
            "./usr/bin/su",
        )
        .unwrap();
    })
}

/// `data` compressed as `format` ("xz", "zst", "gz" or "" for plain).
pub fn compress(format: &str, data: &[u8]) -> Vec<u8> {
    match format {
        "xz" => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 0);
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "zst" => zstd::encode_all(data, 1).unwrap(),
        "gz" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        _ => data.to_vec(),
    }
}

/// A .deb whose data.tar.`format` holds [`sample_tar`].
pub fn sample_deb(format: &str) -> Vec<u8> {
    let data = compress(format, &sample_tar());
    let name = if format.is_empty() {
        "data.tar".to_owned()
    } else {
        format!("data.tar.{format}")
    };
    deb(&[
        ("debian-binary", b"2.0\n"),
        ("control.tar.gz", &compress("gz", b"")),
        (&name, &data),
    ])
}
