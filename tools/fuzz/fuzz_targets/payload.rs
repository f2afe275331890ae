//! ELF and Mach-O payload lookup: section headers, segment names, the
//! digests section; the initramfs' static-ELF check; adding sections to an
//! ELF.
#![no_main]
use embedded_payload::Names;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let names = Names::default();
    if let Ok(payloads) = embedded_payload::find(data, &names) {
        for p in &payloads {
            let end = p.offset.checked_add(p.size).expect("checked by find");
            assert!(end <= data.len() as u64, "{p:?} is past the end");
        }
        let _ = embedded_payload::recorded_digests(data, &payloads);
    }
    let _ = initramfs::check_static_elf(data);
    if data.starts_with(b"\x7fELF") {
        let _ = embedded_payload::add_elf_sections(data, &[("x".into(), b"hi".to_vec())], &names);
    }
});
