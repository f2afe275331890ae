//! A glibc runtime from its .debs: the tree they unpack to (hostile entries
//! refused, as the image packer refuses them), the strip patterns applied,
//! what the tree needs added (the usrmerge symlinks a real system would
//! have, and mount points for the image's common files), and the
//! `runtime_manifest.json` and `runtime_packages.json` derived from what the
//! tree contains.
//!
//! The runtime repositories only download and verify .debs; this runs as a
//! build action, and [`write_tree`] puts a tree on disk for tests.

use runtime_manifest::packages::{Package, RuntimePackages};
use runtime_manifest::{Arch, Mount, RuntimeManifest, COMMON_FILES};
use squashfs_pack::deb::{read_control, read_deb};
use squashfs_pack::tree::{Content, Node, Tree};
use squashfs_pack::TreeAdditions;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Directories whose `ld-linux*` entries are ELF interpreters (PT_INTERP paths).
const INTERPRETER_DIRS: [&str; 4] = ["lib64", "lib", "usr/lib64", "usr/lib"];

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Deb(#[from] squashfs_pack::Error),
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

/// One .deb to read, and where it came from (see [`RuntimeManifest::debs`]).
#[derive(Clone, Debug)]
pub struct DebSource {
    pub path: PathBuf,
    pub source: String,
}

/// A runtime, derived.
pub struct Runtime {
    pub manifest: RuntimeManifest,
    pub packages: RuntimePackages,
    /// What was added to the .debs' tree, for an image packer to add too.
    pub additions: TreeAdditions,
    pub tree: Tree,
}

/// Reads `debs` in order into one tree (minus `strip`), checks that libc6
/// is the glibc `name` declares, adds what the tree needs, and derives the
/// manifest and packages. `limit` bounds what each data.tar may expand to.
pub fn derive(
    name: &str,
    arch: Arch,
    debs: &[DebSource],
    strip: &[String],
    limit: u64,
) -> Result<Runtime, Error> {
    let fail = |message: String| Error::Runtime {
        name: name.to_owned(),
        arch,
        message,
    };
    let Some((major, minor)) = runtime_manifest::glibc_version(name) else {
        return Err(fail("the name must be glibc<major>.<minor>".into()));
    };
    let paths: Vec<PathBuf> = debs.iter().map(|d| d.path.clone()).collect();
    let (mut tree, read) = read_debs(&paths, strip, limit, |deb| {
        if deb.package == "libc6" && !deb.version.starts_with(&format!("{major}.{minor}-")) {
            return Err(Error::Package {
                deb: deb.filename.clone(),
                message: format!("is libc6 {}, but the runtime is named {name}", deb.version),
            });
        }
        Ok(())
    })?;
    let mut packages = Vec::new();
    for (deb, info) in debs.iter().zip(read) {
        packages.push(Package {
            package: info.package,
            version: info.version,
            filename: info.filename,
            sha256: sha256_file(&deb.path)?,
            source: deb.source.clone(),
        });
    }
    let mut additions = TreeAdditions::default();
    add_usrmerge_links(&mut tree, arch, &mut additions)?;
    for path in COMMON_FILES {
        if tree.get(path).is_none() {
            let node = Node::File {
                mode: 0o644,
                content: Content::Bytes(Default::default()),
            };
            tree.insert(path, node, "a mount point for the image's common files")?;
            additions.empty_files.push(path.to_owned());
        }
    }
    let interpreters = interpreters(&tree);
    if interpreters.is_empty() {
        return Err(fail(format!(
            "no ld-linux* interpreter in {} of its .debs",
            INTERPRETER_DIRS.join(", ")
        )));
    }
    let manifest = RuntimeManifest {
        name: name.to_owned(),
        arch,
        debs: debs.iter().map(|d| d.source.clone()).collect(),
        mounts: top_level_mounts(&tree),
        interpreters,
    };
    manifest
        .validate()
        .map_err(|e| fail(format!("derived an invalid manifest: {e}")))?;
    // The action sees the tree only through the mounts: each interpreter
    // must be a file there.
    for interp in &manifest.interpreters {
        let lookup = |rel: &str| lookup_in(&tree, rel.strip_prefix("root/").unwrap_or(""));
        let found = manifest.resolve(interp, &"the runtime", lookup);
        let found = found.map(|at| tree.get(at.strip_prefix("root/").unwrap_or("")));
        if !matches!(found, Ok(Some(item)) if matches!(item.node, Node::File { .. })) {
            return Err(fail(format!(
                "interpreter {interp} is not a file through the mounts"
            )));
        }
    }
    let packages = RuntimePackages {
        name: name.to_owned(),
        arch,
        packages,
    };
    Ok(Runtime {
        manifest,
        packages,
        additions,
        tree,
    })
}

/// A .deb's control fields that say what it is.
#[derive(Clone, Debug)]
pub struct DebInfo {
    pub package: String,
    pub version: String,
    pub filename: String,
}

/// Reads the .debs at `paths` in order into one tree, minus `strip`, each
/// data.tar expanding to at most `limit` bytes. `check` sees each .deb's
/// control fields before its data is read.
pub fn read_debs(
    paths: &[PathBuf],
    strip: &[String],
    limit: u64,
    mut check: impl FnMut(&DebInfo) -> Result<(), Error>,
) -> Result<(Tree, Vec<DebInfo>), Error> {
    let mut tree = Tree::default();
    let mut infos = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        let fields = read_control(path)?;
        let field = |key: &str| {
            fields.get(key).cloned().ok_or_else(|| Error::Package {
                deb: shown.clone(),
                message: format!("has no {key} field in its control file"),
            })
        };
        let info = DebInfo {
            package: field("Package")?,
            version: field("Version")?,
            filename: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(shown.clone()),
        };
        check(&info)?;
        read_deb(path, "", strip, limit)?.add_to(&mut tree)?;
        infos.push(info);
    }
    Ok((tree, infos))
}

fn is_dir(tree: &Tree, path: &str) -> bool {
    matches!(tree.get(path).map(|i| &i.node), Some(Node::Dir { .. }))
}

/// The names directly below `dir` of the tree ("" for its top).
fn children<'a>(tree: &'a Tree, dir: &str) -> impl Iterator<Item = &'a str> + 'a {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let len = prefix.len();
    tree.items
        .range(prefix.clone()..)
        .map(|(path, _)| path.as_str())
        .take_while(move |path| path.starts_with(&prefix))
        .filter_map(move |path| path.get(len..))
        .filter(|rest| !rest.is_empty() && !rest.contains('/'))
}

/// Whether anything but directories is below `dir`.
fn holds_files(tree: &Tree, dir: &str) -> bool {
    let prefix = format!("{dir}/");
    tree.items
        .range(prefix.clone()..)
        .take_while(|(path, _)| path.starts_with(&prefix))
        .any(|(_, item)| !matches!(item.node, Node::Dir { .. }))
}

/// One mount for each top-level directory of the tree, and for each
/// directory of its `usr`: `["root/lib", "/lib"]`. A top-level symlink to
/// a directory of the tree (usrmerge's `lib -> usr/lib`) mounts that
/// directory at the link's path, so no source is a symlink. Directories
/// holding no file or symlink, and top-level files, are left out. Sorted by target.
fn top_level_mounts(tree: &Tree) -> Vec<Mount> {
    let mut paths: Vec<String> = Vec::new();
    for top in children(tree, "") {
        if top == "usr" && is_dir(tree, "usr") {
            paths.extend(children(tree, "usr").map(|name| format!("usr/{name}")));
        } else {
            paths.push(top.to_owned());
        }
    }
    let mut mounts: Vec<Mount> = paths
        .into_iter()
        .filter_map(|path| {
            let real = resolve(tree, &path).ok()?;
            (is_dir(tree, &real) && holds_files(tree, &real))
                .then(|| Mount::of_root(&real, &format!("/{path}")))
        })
        .collect();
    mounts.sort_by(|a, b| a.target.cmp(&b.target));
    mounts
}

/// For a usrmerged runtime (no `lib`, libraries in `usr/lib/<triplet>`),
/// adds the `lib -> usr/lib` and `lib64 -> usr/lib64` links to `tree` and
/// to `additions`.
fn add_usrmerge_links(
    tree: &mut Tree,
    arch: Arch,
    additions: &mut TreeAdditions,
) -> Result<(), Error> {
    let usrmerged =
        tree.get("lib").is_none() && is_dir(tree, &format!("usr/lib/{}", arch.triplet()));
    if !usrmerged {
        return Ok(());
    }
    for top in ["lib", "lib64"] {
        let target = format!("usr/{top}");
        if !is_dir(tree, &target) || tree.get(top).is_some() {
            continue;
        }
        let node = Node::Symlink {
            target: target.clone().into_bytes(),
        };
        tree.insert(top, node, "usrmerge")?;
        additions.symlinks.insert(top.to_owned(), target);
    }
    Ok(())
}

/// What [`RuntimeManifest::resolve`] asks of a tree: `rel`'s symlink
/// target, `None` for anything else, an error for a missing path.
fn lookup_in(tree: &Tree, rel: &str) -> Result<Option<PathBuf>, runtime_manifest::Error> {
    if rel.is_empty() {
        return Ok(None); // the top
    }
    match tree.get(rel).map(|i| &i.node) {
        None => Err(runtime_manifest::Error::Invalid(format!(
            "{rel} does not exist"
        ))),
        Some(Node::Symlink { target }) => Ok(Some(PathBuf::from(
            String::from_utf8_lossy(target).into_owned(),
        ))),
        Some(_) => Ok(None),
    }
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
        lookup_in(tree, &rel.to_string_lossy())
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
