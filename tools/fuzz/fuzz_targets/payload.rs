//! ELF and Mach-O payload lookup: section headers, segment names, the
//! digests section; the initramfs' static-ELF check; adding sections to an
//! ELF.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| actiond_fuzz::targets::payload(data));
