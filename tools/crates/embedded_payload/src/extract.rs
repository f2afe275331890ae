//! Safe extraction of a payload to `<root>/embedded/<name>-<sha256hex>`.
//!
//! - A new file is written to a temporary file in the same directory, its
//!   sha256 checked against the name while it is copied, fsynced, made
//!   read-only and renamed into place: a reader sees the whole file or none.
//! - Right after that, `<file>.stamp` records the file's identity: device,
//!   inode, size, mtime and ctime. A later start trusts the file when its
//!   identity still matches the stamp, which takes a few `stat`s and no
//!   reading. Any write, truncation, chmod or replacement changes the ctime,
//!   which the kernel sets and no user can set back. On a mismatch the file is
//!   hashed in full; if that fails it is replaced.
//! - Starters are serialized by an exclusive lock on `<file>.lock`, so 16
//!   concurrent starts extract once, and the others find the file ready.
//! - A process killed mid-extraction leaves only a temporary file, which
//!   nothing trusts.

use crate::{hex, Payload};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Errors naming the file and the step.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {what}: {source}")]
pub struct ExtractError {
    path: PathBuf,
    what: &'static str,
    #[source]
    source: io::Error,
}

fn err<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(io::Error) -> ExtractError + 'a {
    move |source| ExtractError {
        path: path.to_owned(),
        what,
        source,
    }
}

/// What [`extract`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The cached file's identity matched its stamp.
    Cached,
    /// The stamp did not match, but the file's sha256 did: it was kept.
    Verified,
    /// The file was (re)written.
    Extracted,
}

fn sha256_of(reader: &mut impl Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(reader, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

/// The sha256 of a payload's bytes in `exe`.
pub fn payload_sha256(exe: &Path, payload: &Payload) -> Result<String, ExtractError> {
    let mut file = File::open(exe).map_err(err(exe, "cannot open"))?;
    file.seek(SeekFrom::Start(payload.offset))
        .map_err(err(exe, "cannot seek to the payload"))?;
    sha256_of(&mut file.take(payload.size)).map_err(err(exe, "cannot read the payload"))
}

fn identity(meta: &fs::Metadata) -> String {
    format!(
        "dev={} ino={} size={} mtime={}.{} ctime={}.{}\n",
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    )
}

fn stamp_matches(dest: &Path, stamp: &Path) -> bool {
    match (fs::symlink_metadata(dest), fs::read_to_string(stamp)) {
        (Ok(meta), Ok(text)) => meta.file_type().is_file() && identity(&meta) == text,
        _ => false,
    }
}

fn write_stamp(dest: &Path, stamp: &Path) -> Result<(), ExtractError> {
    let meta = fs::metadata(dest).map_err(err(dest, "cannot stat"))?;
    let dir = stamp.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".stamp")
        .tempfile_in(dir)
        .map_err(err(stamp, "cannot create"))?;
    tmp.write_all(identity(&meta).as_bytes())
        .map_err(err(stamp, "cannot write"))?;
    tmp.persist(stamp).map_err(|e| ExtractError {
        path: stamp.to_owned(),
        what: "cannot rename",
        source: e.error,
    })?;
    Ok(())
}

/// Extracts `payload` of `exe` below `root`; returns its path and what was done.
///
/// `sha256` is the payload's expected digest (from [`payload_sha256`], or
/// recorded at build time); the file name carries it.
pub fn extract(
    exe: &Path,
    root: &Path,
    payload: &Payload,
    sha256: &str,
) -> Result<(PathBuf, Outcome), ExtractError> {
    let dir = root.join("embedded");
    let dest = dir.join(format!("{}-{sha256}", payload.name));
    let stamp = dir.join(format!("{}-{sha256}.stamp", payload.name));
    if stamp_matches(&dest, &stamp) {
        return Ok((dest, Outcome::Cached));
    }
    fs::create_dir_all(&dir).map_err(err(&dir, "cannot create"))?;
    let lock_path = dir.join(format!("{}-{sha256}.lock", payload.name));
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(err(&lock_path, "cannot open"))?;
    lock.lock().map_err(err(&lock_path, "cannot lock"))?;
    // Another starter may have finished while we waited.
    if stamp_matches(&dest, &stamp) {
        return Ok((dest, Outcome::Cached));
    }
    if let Ok(mut existing) = File::open(&dest) {
        if sha256_of(&mut existing).ok().as_deref() == Some(sha256) {
            write_stamp(&dest, &stamp)?;
            return Ok((dest, Outcome::Verified));
        }
    }
    let mut source = File::open(exe).map_err(err(exe, "cannot open"))?;
    source
        .seek(SeekFrom::Start(payload.offset))
        .map_err(err(exe, "cannot seek to the payload"))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}-", payload.name))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(err(&dir, "cannot create a temporary file"))?;
    let mut hasher = Sha256::new();
    let mut reader = (&mut source).take(payload.size);
    let mut buf = vec![0u8; 1 << 20];
    let mut copied = 0u64;
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(err(exe, "cannot read the payload"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n])
            .map_err(err(tmp.path(), "cannot write"))?;
        copied += n as u64;
    }
    let got = hex(&hasher.finalize());
    if copied != payload.size || got != sha256 {
        return Err(ExtractError {
            path: exe.to_owned(),
            what: "payload does not match its sha256",
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} has sha256 {got}, expected {sha256}", payload.name),
            ),
        });
    }
    let file = tmp.as_file();
    file.set_permissions(fs::Permissions::from_mode(0o555))
        .map_err(err(tmp.path(), "cannot chmod"))?;
    file.sync_all().map_err(err(tmp.path(), "cannot fsync"))?;
    tmp.persist(&dest).map_err(|e| ExtractError {
        path: dest.clone(),
        what: "cannot rename into place",
        source: e.error,
    })?;
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(err(&dir, "cannot fsync"))?;
    write_stamp(&dest, &stamp)?;
    Ok((dest, Outcome::Extracted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{find, Names};
    use object::write::{Object as WriteObject, StandardSection};
    use object::{Architecture, BinaryFormat, Endianness, SectionKind};

    /// An ELF with a 3 MB `.actiond.runtimes` payload, written to `dir/exe`.
    fn exe_with_payload(dir: &Path) -> (PathBuf, Payload, Vec<u8>) {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut obj = WriteObject::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        let text = obj.section_id(StandardSection::Text);
        obj.append_section_data(text, &[0xc3], 1);
        let id = obj.add_section(vec![], b".actiond.runtimes".to_vec(), SectionKind::Other);
        obj.append_section_data(id, &data, 1);
        let path = dir.join("exe");
        fs::write(&path, obj.write().unwrap()).unwrap();
        let bytes = fs::read(&path).unwrap();
        let payload = find(&bytes[..], &Names::default()).unwrap().remove(0);
        (path, payload, data)
    }

    fn sha(data: &[u8]) -> String {
        hex(&Sha256::digest(data))
    }

    #[test]
    fn extracts_once_then_trusts_the_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let (exe, payload, data) = exe_with_payload(dir.path());
        let digest = payload_sha256(&exe, &payload).unwrap();
        assert_eq!(digest, sha(&data));
        let root = dir.path().join("root");
        let (path, outcome) = extract(&exe, &root, &payload, &digest).unwrap();
        assert_eq!(outcome, Outcome::Extracted);
        assert_eq!(
            path,
            root.join("embedded").join(format!("runtimes-{digest}"))
        );
        assert_eq!(fs::read(&path).unwrap(), data);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o555
        );
        let inode = fs::metadata(&path).unwrap().ino();
        assert_eq!(
            extract(&exe, &root, &payload, &digest).unwrap().1,
            Outcome::Cached
        );
        assert_eq!(
            fs::metadata(&path).unwrap().ino(),
            inode,
            "a cached file is not rewritten"
        );
    }

    #[test]
    fn tampered_truncated_or_unstamped_files_are_caught() {
        let dir = tempfile::tempdir().unwrap();
        let (exe, payload, data) = exe_with_payload(dir.path());
        let digest = sha(&data);
        let root = dir.path().join("root");
        let (path, _) = extract(&exe, &root, &payload, &digest).unwrap();

        // Same size, other bytes: ctime moves, the hash fails, the file is replaced.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let mut tampered = data.clone();
        tampered[1000] ^= 0xff;
        fs::write(&path, &tampered).unwrap();
        assert_eq!(
            extract(&exe, &root, &payload, &digest).unwrap().1,
            Outcome::Extracted
        );
        assert_eq!(fs::read(&path).unwrap(), data);

        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(100)
            .unwrap();
        assert_eq!(
            extract(&exe, &root, &payload, &digest).unwrap().1,
            Outcome::Extracted
        );
        assert_eq!(fs::read(&path).unwrap(), data);

        // A good file without its stamp is verified by hash and kept.
        fs::remove_file(
            root.join("embedded")
                .join(format!("runtimes-{digest}.stamp")),
        )
        .unwrap();
        assert_eq!(
            extract(&exe, &root, &payload, &digest).unwrap().1,
            Outcome::Verified
        );
        assert_eq!(
            extract(&exe, &root, &payload, &digest).unwrap().1,
            Outcome::Cached
        );
    }

    #[test]
    fn sixteen_concurrent_starters_end_with_one_good_file() {
        let dir = tempfile::tempdir().unwrap();
        let (exe, payload, data) = exe_with_payload(dir.path());
        let digest = sha(&data);
        let root = dir.path().join("root");
        let outcomes: Vec<Outcome> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|_| s.spawn(|| extract(&exe, &root, &payload, &digest).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap().1).collect()
        });
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| **o == Outcome::Extracted)
                .count(),
            1,
            "{outcomes:?}"
        );
        let path = root.join("embedded").join(format!("runtimes-{digest}"));
        assert_eq!(fs::read(path).unwrap(), data);
    }

    #[test]
    fn leftovers_of_a_killed_start_are_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let (exe, payload, data) = exe_with_payload(dir.path());
        let digest = sha(&data);
        let embedded = dir.path().join("root/embedded");
        fs::create_dir_all(&embedded).unwrap();
        // What a kill leaves: a half-written temporary file; and a torn file at
        // the destination from some other tool, with no stamp.
        fs::write(embedded.join(".runtimes-abc123.tmp"), &data[..1000]).unwrap();
        fs::write(embedded.join(format!("runtimes-{digest}")), &data[..1000]).unwrap();
        let (path, outcome) = extract(&exe, &dir.path().join("root"), &payload, &digest).unwrap();
        assert_eq!(outcome, Outcome::Extracted);
        assert_eq!(fs::read(path).unwrap(), data);
    }

    #[test]
    fn macho_payloads_extract_too() {
        let dir = tempfile::tempdir().unwrap();
        let data = b"kernel bytes for a mac".repeat(1000);
        let mut obj = WriteObject::new(
            BinaryFormat::MachO,
            Architecture::Aarch64,
            Endianness::Little,
        );
        let text = obj.section_id(StandardSection::Text);
        obj.append_section_data(text, &[0xc0, 0x03, 0x5f, 0xd6], 4);
        let id = obj.add_section(
            b"__ACTIOND".to_vec(),
            b"__kernel".to_vec(),
            SectionKind::Other,
        );
        obj.append_section_data(id, &data, 1);
        let exe = dir.path().join("macho");
        fs::write(&exe, obj.write().unwrap()).unwrap();
        let payload = find(&fs::read(&exe).unwrap()[..], &Names::default())
            .unwrap()
            .remove(0);
        assert_eq!(payload.name, "kernel");
        let (path, outcome) =
            extract(&exe, &dir.path().join("root"), &payload, &sha(&data)).unwrap();
        assert_eq!(outcome, Outcome::Extracted);
        assert_eq!(fs::read(path).unwrap(), data);
    }

    #[test]
    fn a_wrong_digest_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (exe, payload, _) = exe_with_payload(dir.path());
        let wrong = "0".repeat(64);
        let err = extract(&exe, &dir.path().join("root"), &payload, &wrong)
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not match its sha256"), "{err}");
        assert!(!dir
            .path()
            .join(format!("root/embedded/runtimes-{wrong}"))
            .exists());
    }
}
