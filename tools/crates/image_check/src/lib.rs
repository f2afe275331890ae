//! Checks that a SquashFS image is sound, for the validation actions of
//! `runtime_squashfs` and `squashfs_image`:
//!
//! 1. it parses (backhand's reader);
//! 2. no entry is owned by anyone but root;
//! 3. given its squashfs_pack spec, its listing matches what the spec gives:
//!    the same paths, kinds, modes, symlink targets and file bytes;
//! 4. for each runtime, `libc/<name>/<arch>/runtime_manifest.json` parses
//!    and names that runtime; every mount source is a directory or file
//!    below its `root/`; through the mounts, as the action sees them, every
//!    interpreter is an ELF of the manifest's arch, each of the image's
//!    common files has a mount point, and `libc.so.6` is the glibc the name
//!    declares; `runtime_packages.json` beside it describes its `debs`.
//!
//! Check 4 also runs on a spec's tree before any image is made
//! ([`check_runtime_tree`]): the validation of a runtime repository.
//!
//! Errors name the artifact, the check and the offending entry.

use backhand::{FilesystemReader, InnerNode, SquashfsFileReader};
use runtime_manifest::packages::{RuntimePackages, PACKAGES_FILE};
use runtime_manifest::{glibc_version, Arch, RuntimeManifest, COMMON_FILES};
use sha2::{Digest, Sha256};
use squashfs_pack::tree::{Content, Node};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{artifact}: {check}: {message}")]
    Check {
        artifact: String,
        check: &'static str,
        message: String,
    },
    /// A check that could not read what it checks; the cause is the source.
    #[error("{artifact}: {check}: {message}")]
    Read {
        artifact: String,
        check: &'static str,
        message: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    fn read(
        artifact: &str,
        check: &'static str,
        message: String,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Read {
            artifact: artifact.to_owned(),
            check,
            message,
            source: source.into(),
        }
    }
}

/// Where a file's bytes are: in an image, or in a spec's tree.
#[derive(Clone, Copy)]
enum Bytes<'a> {
    Image(&'a FilesystemReader<'static>, &'a SquashfsFileReader),
    Spec(&'a Content),
}

/// One entry, by path relative to the top ("" is the top).
enum Kind<'a> {
    Dir,
    File(Bytes<'a>),
    Symlink(String),
    Other(&'static str),
}

struct Entry<'a> {
    kind: Kind<'a>,
    mode: u16,
}

/// The entries of the tree being checked, and what reads their bytes.
struct Listing<'a> {
    name: &'a str,
    entries: BTreeMap<String, Entry<'a>>,
}

/// An opened image.
pub struct Image {
    name: String,
    reader: FilesystemReader<'static>,
}

impl Image {
    /// Opens and parses the image at `path`.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let name = path.display().to_string();
        const CHECK: &str = "the image parses";
        let file = std::fs::File::open(path)
            .map_err(|e| Error::read(&name, CHECK, "cannot open".into(), e))?;
        let reader = FilesystemReader::from_reader(std::io::BufReader::new(file))
            .map_err(|e| Error::read(&name, CHECK, "not a SquashFS image".into(), e))?;
        Ok(Self { name, reader })
    }

    fn listing(&self) -> Listing<'_> {
        let entries = self
            .reader
            .files()
            .map(|node| {
                let path = node
                    .fullpath
                    .to_string_lossy()
                    .trim_start_matches('/')
                    .to_owned();
                let kind = match &node.inner {
                    InnerNode::Dir(_) => Kind::Dir,
                    InnerNode::File(f) => Kind::File(Bytes::Image(&self.reader, f)),
                    InnerNode::Symlink(s) => Kind::Symlink(s.link.to_string_lossy().into_owned()),
                    InnerNode::CharacterDevice(_) => Kind::Other("a character device"),
                    InnerNode::BlockDevice(_) => Kind::Other("a block device"),
                    InnerNode::NamedPipe => Kind::Other("a fifo"),
                    InnerNode::Socket => Kind::Other("a socket"),
                };
                let mode = node.header.permissions & 0o7777;
                (path, Entry { kind, mode })
            })
            .collect();
        Listing {
            name: &self.name,
            entries,
        }
    }

    /// Check 2: every entry is owned by uid 0 and gid 0.
    pub fn check_owners(&self) -> Result<(), Error> {
        for node in self.reader.files() {
            if node.header.uid != 0 || node.header.gid != 0 {
                return Err(self.listing().fail(
                    "every entry is owned by root",
                    format!(
                        "{} is owned by {}:{}",
                        node.fullpath.display(),
                        node.header.uid,
                        node.header.gid
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Check 3: the image holds exactly the tree the spec gives.
    pub fn check_spec(&self, expected: &squashfs_pack::Tree) -> Result<(), Error> {
        const CHECK: &str = "the listing matches the spec";
        let listing = self.listing();
        let entries = &listing.entries;
        for (path, item) in &expected.items {
            let entry = entries.get(path.as_str()).ok_or_else(|| {
                let from = match item.origin.as_str() {
                    "" => "a parent directory".to_owned(),
                    origin => format!("from {origin}"),
                };
                listing.fail(CHECK, format!("{path} ({from}) is missing"))
            })?;
            let differs = |what: String| listing.fail(CHECK, format!("{path}: {what}"));
            match (&item.node, &entry.kind) {
                (Node::Dir { mode }, Kind::Dir) | (Node::File { mode, .. }, Kind::File(_))
                    if *mode != entry.mode =>
                {
                    return Err(differs(format!(
                        "mode {:04o}, the spec gives {mode:04o}",
                        entry.mode
                    )));
                }
                (Node::Dir { .. }, Kind::Dir) => {}
                (Node::File { content, .. }, Kind::File(file)) => {
                    let want = content.read().map_err(|e| {
                        Error::read(
                            listing.name,
                            CHECK,
                            format!("{path}: cannot read its source"),
                            e,
                        )
                    })?;
                    let have = listing.read(*file, path)?;
                    if Sha256::digest(&have) != Sha256::digest(&*want) {
                        return Err(differs(format!(
                            "its {} bytes differ from the spec's {} bytes (from {})",
                            have.len(),
                            want.len(),
                            item.origin
                        )));
                    }
                }
                (Node::Symlink { target }, Kind::Symlink(link)) => {
                    if link.as_bytes() != target.as_slice() {
                        return Err(differs(format!(
                            "links to {link:?}, the spec gives {:?}",
                            String::from_utf8_lossy(target)
                        )));
                    }
                }
                (_, kind) => {
                    return Err(differs(format!(
                        "is {}, the spec gives {}",
                        kind_name(kind),
                        node_name(&item.node)
                    )))
                }
            }
        }
        if let Some(extra) = entries
            .keys()
            .find(|p| !p.is_empty() && !expected.items.contains_key(p.as_str()))
        {
            return Err(listing.fail(CHECK, format!("{extra} is not in the spec")));
        }
        Ok(())
    }

    /// Check 4: each runtime's manifest, mounts, interpreters and glibc.
    /// Returns the runtimes checked, as `name/arch`.
    pub fn check_runtimes(&self) -> Result<Vec<String>, Error> {
        self.listing().check_runtimes()
    }
}

/// Check 4 on a spec's tree, named `name` in errors: the runtimes an image
/// of that spec would hold. Fails if it holds none.
pub fn check_runtime_tree(name: &str, tree: &squashfs_pack::Tree) -> Result<Vec<String>, Error> {
    let entries = tree
        .items
        .iter()
        .map(|(path, item)| {
            let (kind, mode) = match &item.node {
                Node::Dir { mode } => (Kind::Dir, *mode),
                Node::File { mode, content } => (Kind::File(Bytes::Spec(content)), *mode),
                Node::Symlink { target } => (
                    Kind::Symlink(String::from_utf8_lossy(target).into_owned()),
                    0o777,
                ),
            };
            (path.clone(), Entry { kind, mode })
        })
        .collect();
    let listing = Listing { name, entries };
    let checked = listing.check_runtimes()?;
    if checked.is_empty() {
        return Err(listing.fail(
            "the runtime's manifest holds",
            "no libc/<name>/<arch>/runtime_manifest.json".into(),
        ));
    }
    Ok(checked)
}

impl Listing<'_> {
    fn fail(&self, check: &'static str, message: String) -> Error {
        Error::Check {
            artifact: self.name.to_owned(),
            check,
            message,
        }
    }

    fn read(&self, bytes: Bytes<'_>, path: &str) -> Result<Vec<u8>, Error> {
        let cannot = |e: std::io::Error| {
            Error::read(
                self.name,
                "the image parses",
                format!("{path}: cannot read"),
                e,
            )
        };
        match bytes {
            Bytes::Image(reader, file) => {
                let mut data = Vec::with_capacity(file.file_len());
                reader
                    .file(file)
                    .reader()
                    .read_to_end(&mut data)
                    .map_err(cannot)?;
                Ok(data)
            }
            Bytes::Spec(content) => Ok(content.read().map_err(cannot)?.to_vec()),
        }
    }

    /// The file at `path`, read; `check` and `what` name it in errors.
    fn read_file(&self, path: &str, check: &'static str, what: &str) -> Result<Vec<u8>, Error> {
        match self.entries.get(path).map(|e| &e.kind) {
            Some(Kind::File(bytes)) => self.read(*bytes, path),
            _ => Err(self.fail(check, format!("{what} is not a file"))),
        }
    }

    fn check_runtimes(&self) -> Result<Vec<String>, Error> {
        const CHECK: &str = "the runtime's manifest holds";
        let mut checked = Vec::new();
        for path in self.entries.keys() {
            let parts: Vec<&str> = path.split('/').collect();
            let ["libc", name, arch, "runtime_manifest.json"] = parts[..] else {
                continue;
            };
            let fail = |message: String| self.fail(CHECK, format!("{path}: {message}"));
            let text = String::from_utf8(self.read_file(path, CHECK, path)?)
                .map_err(|_| fail("not UTF-8".into()))?;
            let manifest = RuntimeManifest::from_json(&text)
                .map_err(|e| Error::read(self.name, CHECK, path.to_owned(), e))?;
            if manifest.name != name || manifest.arch.as_str() != arch {
                return Err(fail(format!(
                    "describes {} {}, not {name} {arch}",
                    manifest.name, manifest.arch
                )));
            }
            let dir = format!("libc/{name}/{arch}");
            let root = format!("{dir}/root");
            for (i, m) in manifest.mounts.iter().enumerate() {
                let check = "every mount source is a directory or file of the runtime";
                let at = resolve(&self.entries, &root, m.root_relative()).map_err(|e| {
                    self.fail(
                        check,
                        format!("{path}: mounts[{i}] source {:?}: {e}", m.source),
                    )
                })?;
                if !matches!(
                    self.entries.get(&at).map(|e| &e.kind),
                    Some(Kind::Dir | Kind::File(_))
                ) {
                    return Err(self.fail(
                        check,
                        format!(
                            "{path}: mounts[{i}] source {:?} ({at}) is neither",
                            m.source
                        ),
                    ));
                }
            }
            // What the action sees at `view`, through the mounts: an image path.
            let through_mounts = |view: &str| {
                manifest
                    .resolve(view, &dir, |rel| {
                        lookup(&self.entries, &format!("{dir}/{rel}"))
                    })
                    .map(|rel| format!("{dir}/{rel}"))
                    .map_err(|e| e.to_string())
            };
            for interp in &manifest.interpreters {
                let check = "every interpreter is an ELF of the manifest's arch";
                let at = through_mounts(interp)
                    .map_err(|e| self.fail(check, format!("{path}: interpreter {interp}: {e}")))?;
                let data = self.read_file(&at, check, &format!("{path}: interpreter {interp}"))?;
                let machine = elf_arch(&data);
                if machine != Some(manifest.arch) {
                    return Err(self.fail(
                        check,
                        format!(
                            "{path}: interpreter {interp} ({at}) is {}, the manifest says {}",
                            machine.map_or("not an ELF executable", Arch::as_str),
                            manifest.arch
                        ),
                    ));
                }
            }
            for common in COMMON_FILES {
                let check = "the image's common files have mount points in each runtime";
                let at = through_mounts(&format!("/{common}"))
                    .map_err(|e| self.fail(check, format!("{path}: /{common}: {e}")))?;
                self.read_file(&at, check, &format!("{path}: /{common} ({at})"))?;
            }
            let libc = manifest
                .arch
                .libc_paths()
                .iter()
                .find_map(|p| through_mounts(p).ok())
                .ok_or_else(|| {
                    self.fail(
                        "glibc's version matches the runtime's name",
                        format!("{path}: no libc.so.6 through its mounts"),
                    )
                })?;
            self.check_glibc_version(&manifest, &libc, path)?;
            self.check_packages(&manifest, &dir)?;
            checked.push(format!("{name}/{arch}"));
        }
        Ok(checked)
    }

    /// `runtime_packages.json` beside the manifest is valid and describes
    /// the manifest's .debs.
    fn check_packages(&self, manifest: &RuntimeManifest, dir: &str) -> Result<(), Error> {
        const CHECK: &str = "the runtime's packages match its manifest";
        let path = format!("{dir}/{PACKAGES_FILE}");
        let text = String::from_utf8(self.read_file(&path, CHECK, &path)?)
            .map_err(|_| self.fail(CHECK, format!("{path}: not UTF-8")))?;
        RuntimePackages::from_json(&text)
            .and_then(|p| p.check_matches(manifest))
            .map_err(|e| Error::read(self.name, CHECK, path.clone(), e))
    }

    /// The `libc.so.6` at image path `libc` is the glibc the name declares.
    fn check_glibc_version(
        &self,
        manifest: &RuntimeManifest,
        libc: &str,
        path: &str,
    ) -> Result<(), Error> {
        const CHECK: &str = "glibc's version matches the runtime's name";
        let Some((major, minor)) = glibc_version(&manifest.name) else {
            return Err(self.fail(
                CHECK,
                format!("{path}: {:?} names no glibc version", manifest.name),
            ));
        };
        let data = self.read_file(libc, CHECK, libc)?;
        let found = release_version(&data)
            .ok_or_else(|| self.fail(CHECK, format!("{libc}: no \"release version\" string")))?;
        if found != format!("{major}.{minor}") {
            return Err(self.fail(
                CHECK,
                format!(
                    "{libc} is glibc {found}, but the runtime is named {}",
                    manifest.name
                ),
            ));
        }
        Ok(())
    }
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Dir => "a directory",
        Kind::File(_) => "a file",
        Kind::Symlink(_) => "a symlink",
        Kind::Other(what) => what,
    }
}

fn node_name(node: &Node) -> &'static str {
    match node {
        Node::Dir { .. } => "a directory",
        Node::File { .. } => "a file",
        Node::Symlink { .. } => "a symlink",
    }
}

/// The architecture of an ELF file, if it is one we know.
pub fn elf_arch(data: &[u8]) -> Option<Arch> {
    use object::Object;
    match object::File::parse(data).ok()?.architecture() {
        object::Architecture::X86_64 => Some(Arch::X86_64),
        object::Architecture::Aarch64 => Some(Arch::Aarch64),
        _ => None,
    }
}

/// The `X.Y` of glibc's "... release version X.Y." banner in libc.so.6.
pub fn release_version(data: &[u8]) -> Option<String> {
    const NEEDLE: &[u8] = b"release version ";
    let at = data.windows(NEEDLE.len()).position(|w| w == NEEDLE)? + NEEDLE.len();
    let version: String = data[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .map(|b| *b as char)
        .collect();
    let version = version.trim_end_matches('.');
    let mut parts = version.split('.');
    Some(format!("{}.{}", parts.next()?, parts.next()?))
}

/// Resolves `path` (absolute or relative to `root`) inside the image as if
/// `root` were `/` (see [`runtime_manifest::resolve_with`]). Returns the
/// image path of the result.
fn resolve(
    entries: &BTreeMap<String, Entry<'_>>,
    root: &str,
    path: &str,
) -> Result<String, String> {
    let resolved = runtime_manifest::resolve_with(path, &root, |rel| {
        lookup(entries, &format!("{root}/{}", rel.display()))
    })
    .map_err(|e| e.to_string())?;
    Ok(format!("{root}/{}", resolved.display())
        .trim_end_matches('/')
        .to_owned())
}

/// What resolution asks of the image path `at`: its symlink target, `None`
/// for anything else, an error when it is missing.
fn lookup(
    entries: &BTreeMap<String, Entry<'_>>,
    at: &str,
) -> Result<Option<std::path::PathBuf>, runtime_manifest::Error> {
    match entries.get(at).map(|e| &e.kind) {
        None => Err(runtime_manifest::Error::Invalid(format!(
            "{at} does not exist"
        ))),
        Some(Kind::Symlink(target)) => Ok(Some(target.into())),
        Some(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A minimal ELF64 header for `machine` (62 x86_64, 183 aarch64).
    fn elf(machine: u16) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        (h[4], h[5], h[6]) = (2, 1, 1);
        h[16..18].copy_from_slice(&3u16.to_le_bytes()); // ET_DYN
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        h[52..54].copy_from_slice(&64u16.to_le_bytes());
        h
    }

    fn file(tree: &mut squashfs_pack::Tree, path: &str, bytes: Vec<u8>) {
        let node = Node::File {
            mode: 0o755,
            content: Content::Bytes(Arc::new(bytes)),
        };
        tree.insert(path, node, "test").unwrap();
    }

    fn symlink(tree: &mut squashfs_pack::Tree, path: &str, target: &str) {
        let node = Node::Symlink {
            target: target.as_bytes().to_vec(),
        };
        tree.insert(path, node, "test").unwrap();
    }

    /// A runtimes image of one fake glibc 2.35 x86_64 runtime, changed by `edit`.
    fn runtime_tree(edit: impl FnOnce(&mut squashfs_pack::Tree)) -> squashfs_pack::Tree {
        let mut tree = squashfs_pack::Tree::default();
        let dir = "libc/glibc2.35/x86_64";
        file(
            &mut tree,
            "common/root/etc/hosts",
            b"127.0.0.1 localhost\n".to_vec(),
        );
        file(
            &mut tree,
            &format!("{dir}/root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
            elf(62),
        );
        let mut libc = elf(62);
        libc.extend_from_slice(
            b"GNU C Library (Ubuntu GLIBC 2.35-0ubuntu3) stable release version 2.35.\n",
        );
        file(
            &mut tree,
            &format!("{dir}/root/lib/x86_64-linux-gnu/libc.so.6"),
            libc,
        );
        symlink(
            &mut tree,
            &format!("{dir}/root/lib64/ld-linux-x86-64.so.2"),
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        );
        for common in COMMON_FILES {
            file(&mut tree, &format!("{dir}/root/{common}"), Vec::new());
        }
        let manifest = r#"{"name": "glibc2.35", "arch": "x86_64",
            "debs": ["https://archive.ubuntu.com/libc6_2.35-0ubuntu3_amd64.deb"],
            "mounts": [["root/etc", "/etc"], ["root/lib", "/lib"], ["root/lib64", "/lib64"]],
            "interpreters": ["/lib64/ld-linux-x86-64.so.2"]}"#;
        file(
            &mut tree,
            &format!("{dir}/runtime_manifest.json"),
            manifest.as_bytes().to_vec(),
        );
        let packages = r#"{"name": "glibc2.35", "arch": "x86_64", "packages": [
            {"package": "libc6", "version": "2.35-0ubuntu3", "filename": "libc6_2.35-0ubuntu3_amd64.deb",
             "sha256": "ea9a27e0ebdd0cfc9c750d94f8074f3a35d1f97dcc77ae04c370fb498a6b6db2",
             "source": "https://archive.ubuntu.com/libc6_2.35-0ubuntu3_amd64.deb"}]}"#;
        file(
            &mut tree,
            &format!("{dir}/runtime_packages.json"),
            packages.as_bytes().to_vec(),
        );
        edit(&mut tree);
        tree
    }

    fn pack(tree: &squashfs_pack::Tree, dir: &Path) -> std::path::PathBuf {
        let spec: squashfs_pack::Spec = serde_json_spec();
        let path = dir.join("image.squashfs");
        let out = std::fs::File::create(&path).unwrap();
        squashfs_pack::write_image(tree, &spec, 1, out).unwrap();
        path
    }

    fn serde_json_spec() -> squashfs_pack::Spec {
        squashfs_pack::Spec {
            compression: squashfs_pack::Compression::default(),
            block_size: 4096,
            mtime: 0,
            max_expanded_bytes: 4 << 30,
            entries: Vec::new(),
        }
    }

    fn errors(tree: squashfs_pack::Tree) -> String {
        let dir = tempfile::tempdir().unwrap();
        let image = Image::open(&pack(&tree, dir.path())).unwrap();
        image.check_owners().unwrap();
        image.check_spec(&tree).unwrap();
        match image.check_runtimes() {
            Ok(checked) => format!("ok {checked:?}"),
            Err(e) => {
                // The message and its causes, as the CLI prints them.
                let mut text = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    text = format!("{text}: {c}");
                    cause = c.source();
                }
                text
            }
        }
    }

    #[test]
    fn a_sound_runtime_passes() {
        assert_eq!(errors(runtime_tree(|_| {})), r#"ok ["glibc2.35/x86_64"]"#);
    }

    #[test]
    fn a_missing_interpreter_is_named() {
        let err = errors(runtime_tree(|t| {
            t.items
                .remove("libc/glibc2.35/x86_64/root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        }));
        assert!(
            err.contains("every interpreter is an ELF of the manifest's arch"),
            "{err}"
        );
        assert!(
            err.contains("interpreter /lib64/ld-linux-x86-64.so.2"),
            "{err}"
        );
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn an_interpreter_of_another_arch_is_refused() {
        let err = errors(runtime_tree(|t| {
            let path = "libc/glibc2.35/x86_64/root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
            t.items.remove(path);
            file(t, path, elf(183));
        }));
        assert!(
            err.contains("is aarch64, the manifest says x86_64"),
            "{err}"
        );
    }

    #[test]
    fn a_glibc_of_another_version_is_refused() {
        let err = errors(runtime_tree(|t| {
            let path = "libc/glibc2.35/x86_64/root/lib/x86_64-linux-gnu/libc.so.6";
            t.items.remove(path);
            file(t, path, b"stable release version 2.39.\n".to_vec());
        }));
        assert!(
            err.contains("glibc's version matches the runtime's name"),
            "{err}"
        );
        assert!(
            err.contains("is glibc 2.39, but the runtime is named glibc2.35"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_mount_source_is_named() {
        let err = errors(runtime_tree(|t| {
            t.items
                .retain(|p, _| !p.starts_with("libc/glibc2.35/x86_64/root/lib64"));
        }));
        assert!(
            err.contains("every mount source is a directory or file of the runtime"),
            "{err}"
        );
        assert!(err.contains("mounts[2] source \"root/lib64\""), "{err}");
    }

    #[test]
    fn a_common_file_without_a_mount_point_is_named() {
        let err = errors(runtime_tree(|t| {
            t.items.remove("libc/glibc2.35/x86_64/root/etc/hosts");
        }));
        assert!(
            err.contains("the image's common files have mount points in each runtime"),
            "{err}"
        );
        assert!(err.contains("/etc/hosts"), "{err}");
    }

    #[test]
    fn packages_that_do_not_match_the_manifest_are_named() {
        let err = errors(runtime_tree(|t| {
            t.items
                .remove("libc/glibc2.35/x86_64/runtime_packages.json");
        }));
        assert!(
            err.contains("the runtime's packages match its manifest: libc/glibc2.35/x86_64/runtime_packages.json is not a file"),
            "{err}"
        );
        let err = errors(runtime_tree(|t| {
            let path = "libc/glibc2.35/x86_64/runtime_packages.json";
            t.items.remove(path);
            file(
                t,
                path,
                br#"{"name": "glibc2.35", "arch": "x86_64", "packages": [
                {"package": "libc6", "version": "1", "filename": "libc6.deb",
                 "sha256": "ea9a27e0ebdd0cfc9c750d94f8074f3a35d1f97dcc77ae04c370fb498a6b6db2",
                 "source": "apt:libc6:amd64=1"}]}"#
                    .to_vec(),
            );
        }));
        assert!(err.contains("are not the manifest's debs"), "{err:?}");
    }

    #[test]
    fn a_listing_that_differs_from_the_spec_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let image = Image::open(&pack(&runtime_tree(|_| {}), dir.path())).unwrap();
        let changed = runtime_tree(|t| {
            t.items.remove("common/root/etc/hosts");
            file(t, "common/root/etc/hosts", b"other\n".to_vec());
        });
        let err = image.check_spec(&changed).unwrap_err().to_string();
        assert!(
            err.contains(
                "the listing matches the spec: common/root/etc/hosts: its 20 bytes differ"
            ),
            "{err}"
        );
        let extra = runtime_tree(|t| file(t, "common/root/etc/extra", vec![]));
        let err = image.check_spec(&extra).unwrap_err().to_string();
        assert!(
            err.contains("common/root/etc/extra (from test) is missing"),
            "{err}"
        );
        let fewer = runtime_tree(|t| {
            t.items.remove("common/root/etc/hosts");
        });
        let err = image.check_spec(&fewer).unwrap_err().to_string();
        assert!(
            err.contains("common/root/etc/hosts is not in the spec"),
            "{err}"
        );
    }

    #[test]
    fn an_entry_not_owned_by_root_is_named() {
        use backhand::compression::Compressor;
        use backhand::{FilesystemCompressor, FilesystemWriter, NodeHeader};
        let mut writer = FilesystemWriter::default();
        writer.set_compressor(FilesystemCompressor::new(Compressor::Gzip, None).unwrap());
        writer
            .push_dir("etc", NodeHeader::new(0o755, 0, 0, 0))
            .unwrap();
        writer
            .push_file(
                std::io::Cursor::new(b"x".to_vec()),
                "etc/passwd",
                NodeHeader::new(0o644, 1000, 0, 0),
            )
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owned.squashfs");
        writer
            .write(&mut std::fs::File::create(&path).unwrap())
            .unwrap();
        let err = Image::open(&path)
            .unwrap()
            .check_owners()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("every entry is owned by root: /etc/passwd is owned by 1000:0"),
            "{err}"
        );
    }

    #[test]
    fn a_spec_tree_is_checked_before_any_image() {
        let sound = check_runtime_tree("rt.spec.json", &runtime_tree(|_| {}));
        assert_eq!(sound.unwrap(), ["glibc2.35/x86_64"]);
        let err = check_runtime_tree(
            "rt.spec.json",
            &runtime_tree(|t| {
                let path = "libc/glibc2.35/x86_64/root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
                t.items.remove(path);
                file(t, path, b"#!/bin/sh\n".to_vec());
            }),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("rt.spec.json: every interpreter is an ELF of the manifest's arch"),
            "{err}"
        );
        assert!(err.contains("is not an ELF executable"), "{err}");
        let err = check_runtime_tree("empty.json", &squashfs_pack::Tree::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no libc/<name>/<arch>/runtime_manifest.json"),
            "{err}"
        );
    }

    #[test]
    fn garbage_does_not_parse() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garbage.squashfs");
        std::fs::write(&path, b"not an image").unwrap();
        let err = Image::open(&path).err().unwrap().to_string();
        assert!(
            err.contains("garbage.squashfs: the image parses: not a SquashFS image"),
            "{err}"
        );
    }

    #[test]
    fn release_versions() {
        assert_eq!(
            release_version(b"x stable release version 2.31.\n").as_deref(),
            Some("2.31")
        );
        assert_eq!(
            release_version(b"release version 2.39.9000"),
            Some("2.39".into())
        );
        assert_eq!(release_version(b"nothing"), None);
    }
}
