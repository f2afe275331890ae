//! A glibc runtime from its .debs: the tree they unpack to (hostile entries
//! refused, as the image packer refuses them), the strip patterns applied,
//! the usrmerge symlinks a real system would have, and the
//! `runtime_manifest.json` derived from what the tree contains.
//!
//! The runtime repositories only download and verify .debs; this runs as a
//! build action, and [`write_tree`] puts a tree on disk for tests.

use runtime_manifest::{Arch, Deb, Mount, RuntimeManifest};
use sqfs_pack::deb::{read_control, read_deb};
use sqfs_pack::tree::{Node, Tree};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Directories whose `ld-linux*` entries are ELF interpreters (PT_INTERP paths).
const INTERPRETER_DIRS: [&str; 4] = ["lib64", "lib", "usr/lib64", "usr/lib"];

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Deb(#[from] sqfs_pack::Error),
    #[error("{deb} {message}")]
    Package { deb: String, message: String },
    #[error("runtime {name} {arch}: {message}")]
    Runtime {
        name: String,
        arch: Arch,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A runtime, derived.
pub struct Runtime {
    pub manifest: RuntimeManifest,
    /// Symlinks added to the tree (path -> target), such as noble's `lib -> usr/lib`.
    pub symlinks: BTreeMap<String, String>,
    pub tree: Tree,
}

/// Reads `debs` in order into one tree (minus `strip`), checks that libc6
/// is the glibc `name` declares, and derives the manifest. `limit` bounds
/// what each data.tar may expand to.
pub fn derive(
    name: &str,
    arch: Arch,
    debs: &[PathBuf],
    strip: &[String],
    limit: u64,
) -> Result<Runtime, Error> {
    let Some((major, minor)) = runtime_manifest::glibc_version(name) else {
        return Err(Error::Runtime {
            name: name.to_owned(),
            arch,
            message: "the name must be glibc<major>.<minor>".into(),
        });
    };
    let mut tree = Tree::default();
    let mut entries = Vec::new();
    for path in debs {
        let shown = path.display().to_string();
        let filename = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        let fields = read_control(path)?;
        let field = |key: &str| {
            fields.get(key).cloned().ok_or_else(|| Error::Package {
                deb: shown.clone(),
                message: format!("has no {key} field in its control file"),
            })
        };
        let (package, version) = (field("Package")?, field("Version")?);
        if package == "libc6" && !version.starts_with(&format!("{major}.{minor}-")) {
            return Err(Error::Package {
                deb: filename,
                message: format!("is libc6 {version}, but the runtime is named {name}"),
            });
        }
        read_deb(path, "", strip, limit)?.add_to(&mut tree)?;
        entries.push(Deb {
            package,
            version,
            filename,
            sha256: sha256_file(path)?,
        });
    }
    let fail = |message: String| Error::Runtime {
        name: name.to_owned(),
        arch,
        message,
    };
    let (mounts, symlinks) = mounts_and_symlinks(&mut tree, arch)?;
    if mounts.is_empty() {
        let t = arch.triplet();
        return Err(fail(format!(
            "no library directory (lib/{t}, usr/lib/{t}, lib64, usr/lib64) in its .debs"
        )));
    }
    let interpreters = interpreters(&tree);
    if interpreters.is_empty() {
        return Err(fail(format!(
            "no ld-linux* interpreter in {} of its .debs",
            INTERPRETER_DIRS.join(", ")
        )));
    }
    let mut mounts = mounts;
    // A file mount for each interpreter outside the mounted directories
    // (aarch64's /lib/ld-linux-aarch64.so.1). Sources never go through the
    // usrmerge links.
    let mounted: Vec<String> = mounts.iter().map(|m| m.target.clone()).collect();
    for interp in &interpreters {
        let (dir, base) = interp[1..].rsplit_once('/').unwrap_or(("", &interp[1..]));
        if mounted.contains(&format!("/{dir}")) {
            continue;
        }
        let top = dir.split('/').next().unwrap_or(dir);
        let source_dir = match symlinks.get(top) {
            Some(target) => format!("{target}{}", &dir[top.len()..]),
            None => dir.to_owned(),
        };
        mounts.push(Mount {
            source: format!("{source_dir}/{base}"),
            target: interp.clone(),
        });
    }
    let manifest = RuntimeManifest {
        name: name.to_owned(),
        arch,
        debs: entries,
        mounts,
        interpreters,
    };
    manifest
        .validate()
        .map_err(|e| fail(format!("derived an invalid manifest: {e}")))?;
    Ok(Runtime {
        manifest,
        symlinks,
        tree,
    })
}

fn is_dir(tree: &Tree, path: &str) -> bool {
    matches!(tree.get(path).map(|i| &i.node), Some(Node::Dir { .. }))
}

/// The library directories to mount, and, for a usrmerged runtime (no
/// `lib`, libraries in `usr/lib/<triplet>`), the `lib -> usr/lib` and
/// `lib64 -> usr/lib64` links, added to `tree`, with the `/usr` directories
/// mounted at the `/lib` paths too.
fn mounts_and_symlinks(
    tree: &mut Tree,
    arch: Arch,
) -> Result<(Vec<Mount>, BTreeMap<String, String>), Error> {
    let triplet = arch.triplet();
    let mut mounts: Vec<Mount> = [
        format!("lib/{triplet}"),
        format!("usr/lib/{triplet}"),
        "lib64".into(),
        "usr/lib64".into(),
    ]
    .into_iter()
    .filter(|rel| is_dir(tree, rel))
    .map(|rel| Mount {
        target: format!("/{rel}"),
        source: rel,
    })
    .collect();
    let mut symlinks = BTreeMap::new();
    let usrmerged = tree.get("lib").is_none() && is_dir(tree, &format!("usr/lib/{triplet}"));
    if usrmerged {
        for top in ["lib", "lib64"] {
            let target = format!("usr/{top}");
            if !is_dir(tree, &target) {
                continue;
            }
            tree.insert(
                top,
                Node::Symlink {
                    target: target.clone().into_bytes(),
                },
                "usrmerge",
            )?;
            let sub = if top == "lib" {
                format!("/{triplet}")
            } else {
                String::new()
            };
            mounts.push(Mount {
                source: format!("{target}{sub}"),
                target: format!("/{top}{sub}"),
            });
            symlinks.insert(top.to_owned(), target);
        }
    }
    Ok((mounts, symlinks))
}

/// `/<dir>/ld-linux*` for each of INTERPRETER_DIRS (followed through
/// symlinks inside the tree) whose entry resolves to a file of the tree.
fn interpreters(tree: &Tree) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for dir in INTERPRETER_DIRS {
        let Ok(real) = resolve(tree, dir) else {
            continue;
        };
        if !is_dir(tree, &real) {
            continue;
        }
        let prefix = format!("{real}/");
        for (path, _) in tree.items.range(prefix.clone()..) {
            let Some(base) = path.strip_prefix(&prefix) else {
                break;
            };
            let interp = format!("/{dir}/{base}");
            if base.contains('/') || !base.starts_with("ld-linux") || found.contains(&interp) {
                continue;
            }
            let is_file = resolve(tree, &interp)
                .is_ok_and(|p| matches!(tree.get(&p).map(|i| &i.node), Some(Node::File { .. })));
            if is_file {
                found.push(interp);
            }
        }
    }
    found
}

/// `path` resolved inside the tree, symlinks followed as if the tree were `/`.
pub fn resolve(tree: &Tree, path: &str) -> Result<String, runtime_manifest::Error> {
    let resolved = runtime_manifest::resolve_with(path, &"the runtime", |rel| {
        let rel = rel.to_string_lossy();
        match tree.get(&rel).map(|i| &i.node) {
            None => Err(runtime_manifest::Error::Invalid(format!(
                "{path:?}: {rel} does not exist"
            ))),
            Some(Node::Symlink { target }) => Ok(Some(PathBuf::from(
                String::from_utf8_lossy(target).into_owned(),
            ))),
            Some(_) => Ok(None),
        }
    })?;
    Ok(resolved.to_string_lossy().into_owned())
}

fn sha256_file(path: &Path) -> Result<String, Error> {
    use sha2::Digest;
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Writes `tree` into `dir`, which must not exist yet: directories, files
/// (with their modes) and symlinks (targets verbatim, never followed).
/// Every path of a [`Tree`] is relative, without `..`, and below real
/// directories only (see [`Tree::insert`]), so nothing lands outside `dir`.
pub fn write_tree(tree: &Tree, dir: &Path) -> Result<(), Error> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{symlink, DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    std::fs::DirBuilder::new()
        .mode(0o755)
        .create(dir)
        .map_err(io(dir))?;
    // Directories get their modes last, so that a read-only one can be filled.
    let mut dirs = Vec::new();
    for (path, item) in &tree.items {
        let at = dir.join(path);
        match &item.node {
            Node::Dir { mode } => {
                std::fs::DirBuilder::new()
                    .mode(0o755)
                    .create(&at)
                    .map_err(io(&at))?;
                dirs.push((at, *mode));
            }
            Node::File { mode, content } => {
                let mut out = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(u32::from(*mode & 0o777))
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&at)
                    .map_err(io(&at))?;
                let mut reader = content.open().map_err(io(&at))?;
                std::io::copy(&mut reader, &mut out).map_err(io(&at))?;
            }
            Node::Symlink { target } => {
                symlink(std::ffi::OsStr::from_bytes(target), &at).map_err(io(&at))?;
            }
        }
    }
    for (at, mode) in dirs.into_iter().rev() {
        std::fs::set_permissions(
            &at,
            std::fs::Permissions::from_mode(u32::from(mode & 0o777)),
        )
        .map_err(io(&at))?;
    }
    Ok(())
}
