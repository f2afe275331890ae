//! The lock tool's `Packages` index parser, and Debian version comparison
//! (which must be a total order on whatever versions an index holds).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| actiond_fuzz::targets::packages_index(data));
