//! A downstream executor: at start it extracts the payloads embedded in its
//! own executable below ROOT and prints `name<TAB>path` for each.

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args_os().nth(1).ok_or("usage: executor ROOT")?;
    let names = embedded_payload::Names::default();
    for (name, path, _) in
        embedded_payload::extract_all(Path::new("/proc/self/exe"), Path::new(&root), &names, None)?
    {
        println!("{name}\t{}", path.display());
    }
    Ok(())
}
