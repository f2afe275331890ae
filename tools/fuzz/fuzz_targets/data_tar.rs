//! A data.tar stream: the first byte picks how the rest reaches the tar
//! reader: as is (0, so the decompressors see hostile bytes, sniffed by
//! magic), or compressed first with zstd (1), gzip (2) or xz (3), so the
//! tar parser sees hostile bytes through each decompressor.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| actiond_fuzz::targets::data_tar(data));
