//! A sysroot to link against an old glibc, made from its pinned .debs (the
//! same reader as the runtimes: entries that would land outside the tree
//! are refused).
//!
//! What a linker needs of it, fixed up to work wherever the tree is put:
//! - absolute symlinks (`usr/lib/<triplet>/libm.so -> /lib/<triplet>/libm.so.6`)
//!   become relative ones inside the tree; symlinks that lead nowhere in
//!   the tree are dropped;
//! - absolute paths in GNU ld scripts (`libc.so`: `GROUP ( /lib/...`) get
//!   ld's `=` prefix, which makes them relative to `--sysroot`, whatever the
//!   path to the script is (a sandbox's symlinks included).
//!
//! The .debs must hold libc6 of the sysroot's glibc and libc6-dev of the
//! same version: headers of one glibc and libraries of another link
//! programs that fail at run time.

use runtime_manifest::Arch;
use squashfs_pack::tree::{Content, Node, Tree};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// GNU ld scripts are small; a file this large is not one.
const MAX_LD_SCRIPT: usize = 64 << 10;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Deb(#[from] squashfs_pack::Error),
    #[error(transparent)]
    Write(#[from] runtime_derive::Error),
    #[error("sysroot {name} {arch}: {message}")]
    Sysroot {
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

/// A sysroot, derived.
pub struct Sysroot {
    pub tree: Tree,
    /// The glibc version of its libc6 and libc6-dev (`2.31-0ubuntu9`).
    pub libc_version: String,
    /// Symlinks that were dropped because they lead nowhere in the tree.
    pub dropped: Vec<String>,
}

/// Reads `debs` in order (minus `strip`) into the sysroot of glibc `name`.
pub fn derive(
    name: &str,
    arch: Arch,
    debs: &[PathBuf],
    strip: &[String],
    limit: u64,
) -> Result<Sysroot, Error> {
    let fail = |message: String| Error::Sysroot {
        name: name.to_owned(),
        arch,
        message,
    };
    let Some((major, minor)) = runtime_manifest::glibc_version(name) else {
        return Err(fail("the name must be glibc<major>.<minor>".into()));
    };
    let (mut tree, versions) = runtime_derive::read_debs(debs, strip, limit, |_| Ok(()))?;
    let find = |package: &str| versions.iter().find(|d| d.package == package);
    let (Some(libc), Some(dev)) = (find("libc6"), find("libc6-dev")) else {
        let missing: Vec<&str> = ["libc6", "libc6-dev"]
            .into_iter()
            .filter(|p| find(p).is_none())
            .collect();
        return Err(fail(format!(
            "its .debs lack {}: a sysroot needs libc6 and libc6-dev (crt files, headers, libc.so)",
            missing.join(" and ")
        )));
    };
    if libc.version != dev.version {
        return Err(fail(format!(
            "libc6 is {} ({}) but libc6-dev is {} ({}): headers and libraries must be of one glibc",
            libc.version, libc.filename, dev.version, dev.filename
        )));
    }
    if !libc.version.starts_with(&format!("{major}.{minor}-")) {
        return Err(fail(format!(
            "libc6 is {} ({}), not glibc {major}.{minor}",
            libc.version, libc.filename
        )));
    }
    let dropped = fix_symlinks(&mut tree);
    fix_ld_scripts(&mut tree).map_err(|e| fail(e.to_string()))?;
    Ok(Sysroot {
        tree,
        libc_version: libc.version.clone(),
        dropped,
    })
}

/// Makes every absolute symlink relative to its own directory, and drops
/// the symlinks that do not resolve to something in the tree. Returns the
/// dropped ones.
fn fix_symlinks(tree: &mut Tree) -> Vec<String> {
    let links: Vec<(String, String)> = tree
        .items
        .iter()
        .filter_map(|(path, item)| match &item.node {
            Node::Symlink { target } => {
                Some((path.clone(), String::from_utf8_lossy(target).into_owned()))
            }
            _ => None,
        })
        .collect();
    let mut dropped = Vec::new();
    for (path, target) in &links {
        if let Some(absolute) = target.strip_prefix('/') {
            let depth = path.matches('/').count();
            let relative = format!("{}{absolute}", "../".repeat(depth));
            if let Some(item) = tree.items.get_mut(path) {
                item.node = Node::Symlink {
                    target: relative.into_bytes(),
                };
            }
        }
    }
    for (path, _) in links {
        if runtime_derive::resolve(tree, &path).is_err() {
            tree.items.remove(&path);
            dropped.push(path);
        }
    }
    dropped
}

/// Gives the absolute paths of every GNU ld script in the tree ld's `=`
/// prefix (relative to the sysroot).
fn fix_ld_scripts(tree: &mut Tree) -> std::io::Result<()> {
    for item in tree.items.values_mut() {
        let Node::File { content, .. } = &mut item.node else {
            continue;
        };
        let bytes = content.read()?;
        if bytes.len() > MAX_LD_SCRIPT || !bytes.starts_with(b"/* GNU ld script") {
            continue;
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let fixed = rewrite_ld_script(text);
        if fixed != text {
            *content = Content::Bytes(Arc::new(fixed.into_bytes()));
        }
    }
    Ok(())
}

/// `text` with `=` before each absolute path that follows `(` or a blank.
pub fn rewrite_ld_script(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_comment = false;
    let mut prev = ' ';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_comment {
            if c == '*' && chars.peek() == Some(&'/') {
                in_comment = false;
            }
        } else if c == '/' && chars.peek() == Some(&'*') {
            in_comment = true;
        } else if c == '/' && (prev.is_whitespace() || prev == '(') {
            out.push('=');
        }
        out.push(c);
        prev = c;
    }
    out
}

/// Writes the sysroot into `dir`, which must be missing or empty (a build
/// action's declared directory).
pub fn write(sysroot: &Sysroot, dir: &Path) -> Result<(), Error> {
    if dir.exists() {
        std::fs::remove_dir(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    runtime_derive::write_tree(&sysroot.tree, dir)?;
    Ok(())
}
