//! A .deb (ar archive) read as `sqfs_pack` reads it: the ar members, then
//! the data.tar.* stream, decompressed and parsed, into a tree.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(archive) =
        sqfs_pack::deb::read_deb_from(data, "fuzz.deb", "root", &[], actiond_fuzz::LIMIT)
    {
        let _ = archive.add_to(&mut sqfs_pack::Tree::default());
    }
});
