//! The lock tool's `Packages` index parser, and Debian version comparison
//! (which must be a total order on whatever versions an index holds).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(index) = deb_index::Index::parse(text) {
        for p in index.packages.iter().take(16) {
            assert!(index.find(&p.name, &p.architecture).is_some());
            let _ = p.basename();
        }
    }
    let mut lines = text.lines();
    if let (Some(a), Some(b)) = (lines.next(), lines.next()) {
        let ab = deb_index::compare_versions(a, b);
        assert_eq!(
            ab,
            deb_index::compare_versions(b, a).reverse(),
            "{a:?} vs {b:?}"
        );
        assert_eq!(deb_index::compare_versions(a, a), Ordering::Equal, "{a:?}");
    }
});
