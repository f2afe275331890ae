//! `actiond-tool payload ...` and `actiond-tool digest`: payloads embedded
//! in executables, and the manifest of a VM bundle's files.

use crate::file_sha256;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Prints each payload of `file`: name, offset, size.
pub(crate) fn list(file: &Path) -> Result<()> {
    let data = std::fs::read(file).with_context(|| format!("{}: cannot read", file.display()))?;
    let payloads = embedded_payload::find(&data[..], &embedded_payload::Names::default())
        .with_context(|| format!("{}", file.display()))?;
    for p in payloads {
        println!("{}\t{}\t{}", p.name, p.offset, p.size);
    }
    Ok(())
}

/// Extracts the payloads of `file` (or the one called `name`) under `root`.
pub(crate) fn extract(file: &Path, root: &Path, name: Option<&str>) -> Result<()> {
    let done = embedded_payload::extract_all(file, root, &embedded_payload::Names::default(), name)
        .with_context(|| format!("{}", file.display()))?;
    if done.is_empty() {
        anyhow::bail!(
            "{}: no payload{}",
            file.display(),
            name.map(|n| format!(" named {n}")).unwrap_or_default()
        );
    }
    for (name, path, outcome) in done {
        println!("{name}\t{}\t{outcome:?}", path.display());
    }
    Ok(())
}

/// Writes `input` with a section per NAME=FILE of `sections` to `output`.
pub(crate) fn add(sections: &[String], prefix: String, input: &Path, output: &Path) -> Result<()> {
    let elf = std::fs::read(input).with_context(|| format!("{}: cannot read", input.display()))?;
    let mut payloads = Vec::new();
    for pair in sections {
        let (name, path) = pair
            .split_once('=')
            .with_context(|| format!("{pair:?} is not NAME=FILE"))?;
        let bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read"))?;
        payloads.push((name.to_owned(), bytes));
    }
    let names = embedded_payload::Names {
        elf_prefix: prefix,
        ..Default::default()
    };
    let out = embedded_payload::add_elf_sections(&elf, &payloads, &names)
        .with_context(|| format!("{}", input.display()))?;
    let mut file = atomic_file::AtomicFile::create(output)?;
    file.set_mode(0o755);
    file.write_all(&out)?;
    file.commit()?;
    Ok(())
}

/// Writes the JSON manifest of `files` (NAME=PATH): each one's file name,
/// sha256 and size.
pub(crate) fn bundle_manifest(out: &Path, files: &[String]) -> Result<()> {
    let mut entries = serde_json::Map::new();
    for pair in files {
        let (name, path) = pair
            .split_once('=')
            .with_context(|| format!("{pair:?} is not NAME=PATH"))?;
        let (sha256, size) = file_sha256(path)?;
        let file_name = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let entry = serde_json::json!({"file": file_name, "sha256": sha256, "size": size});
        if entries.insert(name.to_owned(), entry).is_some() {
            anyhow::bail!("{name} is given twice");
        }
    }
    let mut text = serde_json::to_string_pretty(&serde_json::Value::Object(entries))?;
    text.push('\n');
    atomic_file::write(out, text.as_bytes())?;
    Ok(())
}
