//! `actiond-tool check ...`: the validation actions of the rules. Each
//! check writes its `--stamp` only when everything holds, and its errors name
//! the artifact, the check and the offending entry.

use crate::{file_sha256, sha256_hex, CheckCommand};
use anyhow::{Context, Result};
use sha2::Digest as _;
use std::io::Read;
use std::path::Path;

/// A decompressed initramfs larger than this is refused rather than read.
const MAX_INITRAMFS: u64 = 1 << 30;

pub(crate) fn run(command: CheckCommand) -> Result<()> {
    let stamp = match command {
        CheckCommand::Image { image, spec, stamp } => {
            let opened = image_check::Image::open(&image)?;
            opened.check_owners()?;
            if let Some(spec) = spec {
                opened.check_spec(&spec_tree(&spec)?)?;
            }
            opened.check_runtimes()?;
            stamp
        }
        CheckCommand::Manifest {
            manifest,
            tree,
            packages,
            stamp,
        } => {
            crate::runtime::check_manifest(&manifest, tree, packages.as_deref())?;
            stamp
        }
        CheckCommand::Runtime { spec, stamp } => {
            image_check::check_runtime_tree(&spec.display().to_string(), &spec_tree(&spec)?)?;
            stamp
        }
        CheckCommand::Initramfs {
            archive,
            arch,
            init,
            stamp,
        } => {
            let name = archive.display().to_string();
            let file =
                std::fs::File::open(&archive).with_context(|| format!("{name}: cannot open"))?;
            let (_, reader) =
                decompress::open(file).with_context(|| format!("{name}: cannot read"))?;
            let mut data = Vec::new();
            reader
                .take(MAX_INITRAMFS + 1)
                .read_to_end(&mut data)
                .with_context(|| format!("{name}: cannot decompress"))?;
            if data.len() as u64 > MAX_INITRAMFS {
                anyhow::bail!(
                    "{name}: the cpio archive parses: it expands past {MAX_INITRAMFS} bytes"
                );
            }
            initramfs::check::check(&name, &data, &init, arch.as_str())?;
            stamp
        }
        CheckCommand::Bundle {
            manifest,
            files,
            stamp,
        } => {
            bundle(&manifest, &files)?;
            stamp
        }
        CheckCommand::Standalone {
            binary,
            payloads,
            prefix,
            stamp,
        } => {
            standalone(&binary, &payloads, prefix)?;
            stamp
        }
    };
    if let Some(stamp) = stamp {
        atomic_file::AtomicFile::create(&stamp)?.commit()?;
    }
    Ok(())
}

/// The tree an squashfs_pack spec gives, its sources read from the current directory.
fn spec_tree(spec: &Path) -> Result<squashfs_pack::Tree> {
    let parsed = squashfs_pack::Spec::read(spec)?;
    squashfs_pack::build_tree(&parsed, Path::new("."), 1)
        .with_context(|| format!("{}: reading the spec's sources", spec.display()))
}

/// The bundle manifest names exactly `files` (NAME=FILE), each with its file
/// name, size and sha256. Read generically and hashed here, not through the
/// code that wrote the manifest (`digest`), so that a bug there shows.
fn bundle(manifest: &Path, files: &[String]) -> Result<()> {
    const CHECK: &str = "the manifest matches the bundle's files";
    let at = |message: String| anyhow::anyhow!("{}: {CHECK}: {message}", manifest.display());
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("{}: cannot read", manifest.display()))?;
    let mut entries: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a JSON object", manifest.display()))?;
    for pair in files {
        let (name, path) = pair
            .split_once('=')
            .with_context(|| format!("--file {pair}: expected NAME=FILE"))?;
        let entry = entries
            .remove(name)
            .ok_or_else(|| at(format!("{name} is missing")))?;
        let bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read"))?;
        let sha256: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let file_name = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let fields = entry.as_object().map(|o| {
            let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
            keys.sort_unstable();
            (keys, o)
        });
        let matches = match fields {
            Some((keys, o)) => {
                keys == ["file", "sha256", "size"]
                    && o["file"].as_str() == Some(file_name.as_str())
                    && o["sha256"].as_str() == Some(sha256.as_str())
                    && o["size"].as_u64() == Some(bytes.len() as u64)
            }
            None => false,
        };
        if !matches {
            return Err(at(format!(
                "{name} is recorded as {entry}, but {path} is {{\"file\":{file_name:?},\"sha256\":{sha256:?},\"size\":{}}}",
                bytes.len()
            )));
        }
    }
    if let Some(extra) = entries.keys().next() {
        return Err(at(format!("{extra} is not a file of the bundle")));
    }
    Ok(())
}

/// Every payload section of `binary` holds exactly its file's bytes, and the
/// digests section records their sha256.
fn standalone(binary: &Path, payloads: &[String], prefix: String) -> Result<()> {
    let at = |check: &str| format!("{}: {check}", binary.display());
    let data =
        std::fs::read(binary).with_context(|| format!("{}: cannot read", binary.display()))?;
    let names = embedded_payload::Names {
        elf_prefix: prefix,
        ..Default::default()
    };
    let found =
        embedded_payload::find(&data[..], &names).with_context(|| at("the binary parses"))?;
    let recorded = embedded_payload::recorded_digests(&data[..], &found)
        .with_context(|| at("the digests section parses"))?;
    let has_digests = found.iter().any(|p| p.name == embedded_payload::DIGESTS);
    for spec in payloads {
        let (name, file) = spec
            .split_once('=')
            .with_context(|| format!("--payload {spec}: expected NAME=FILE"))?;
        let (want, _) = file_sha256(file)?;
        let section = found
            .iter()
            .find(|p| p.name == name)
            .with_context(|| at(&format!("every payload is embedded: no section for {name}")))?;
        let bytes = usize::try_from(section.offset)
            .ok()
            .zip(usize::try_from(section.size).ok())
            .and_then(|(o, n)| data.get(o..o.checked_add(n)?))
            .with_context(|| at(&format!("section {name} lies past the end of the file")))?;
        let (have, _) = sha256_hex(bytes)?;
        if have != want {
            anyhow::bail!(
                "{}",
                at(&format!(
                    "each section holds its payload: {name} has sha256 {have}, {file} has {want}"
                ))
            );
        }
        match recorded.get(name) {
            Some(r) if *r != want => anyhow::bail!(
                "{}",
                at(&format!(
                    "the digests section records another sha256 for {name}"
                ))
            ),
            None if has_digests => anyhow::bail!(
                "{}",
                at(&format!("the digests section records no sha256 for {name}"))
            ),
            _ => {}
        }
    }
    Ok(())
}
