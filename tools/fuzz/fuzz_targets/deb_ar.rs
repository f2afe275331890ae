//! A .deb (ar archive) read as `squashfs_pack` reads it: the ar members, then
//! the data.tar.* stream, decompressed and parsed, into a tree.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| actiond_fuzz::targets::deb_ar(data));
