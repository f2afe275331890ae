//! A data.tar stream: the first byte picks how the rest reaches the tar
//! reader: as is (0, so the decompressors see hostile bytes, sniffed by
//! magic), or compressed first with zstd (1), gzip (2) or xz (3), so the
//! tar parser sees hostile bytes through each decompressor.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let format = ["", "zst", "gz", "xz"][usize::from(mode % 4)];
    let stream = actiond_fuzz::compress(format, rest);
    let Ok((_, reader)) = decompress::open(&stream[..]) else {
        return;
    };
    let strip = ["usr/share/doc".to_owned(), "usr/lib/*/gconv".to_owned()];
    if let Ok(archive) =
        sqfs_pack::deb::read_tar(reader, "p", &strip, "fuzz.tar", actiond_fuzz::LIMIT)
    {
        let _ = archive.add_to(&mut sqfs_pack::Tree::default());
    }
});
