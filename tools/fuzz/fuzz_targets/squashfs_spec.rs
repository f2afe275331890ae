//! The JSON specs and manifests: the squashfs_pack spec (parsed, and, for its
//! entries that need no source files, gathered into a tree and written as
//! an image in memory), the initramfs spec, the lock request and the runtime
//! manifest.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| actiond_fuzz::targets::squashfs_spec(data));
