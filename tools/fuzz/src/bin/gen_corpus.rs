//! Writes the seed corpus of every fuzz target: `gen_corpus DIR` makes
//! `DIR/<target>/seed-*` from [`actiond_fuzz::seeds::all`].

use std::path::Path;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: gen_corpus DIR");
    let dir = Path::new(&dir);
    for (target, name, bytes) in actiond_fuzz::seeds::all() {
        let at = dir.join(target);
        std::fs::create_dir_all(&at).unwrap();
        std::fs::write(at.join(format!("seed-{name}")), bytes).unwrap();
    }
}
