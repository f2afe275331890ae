//! `runtime_manifest.json`: what a glibc runtime contains and how an executor
//! mounts it.
//!
//! ```json
//! {
//!   "name": "glibc2.35",
//!   "arch": "x86_64",
//!   "debs": [{"package": "libc6", "version": "2.35-0ubuntu3",
//!             "filename": "libc6_2.35-0ubuntu3_amd64.deb", "sha256": "ea9a…"}],
//!   "mounts": [{"source": "lib/x86_64-linux-gnu", "target": "/lib/x86_64-linux-gnu"}],
//!   "interpreters": ["/lib64/ld-linux-x86-64.so.2"]
//! }
//! ```
//!
//! Mount sources are paths relative to the runtime's root directory; targets
//! and interpreters are absolute paths as the action sees them. Parsing is
//! strict: unknown keys are errors, so that typos surface.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// A CPU architecture a runtime is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    /// Every supported architecture, as spelled in manifests.
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// The name used in manifests and image paths.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// The Debian multiarch triplet (`/lib/<triplet>`).
    pub fn triplet(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-linux-gnu",
            Arch::Aarch64 => "aarch64-linux-gnu",
        }
    }

    /// The Debian architecture name used in .deb file names.
    pub fn deb_arch(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Aarch64 => "arm64",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Arch {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Arch::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| Error::Invalid(format!("unknown arch {s:?}; allowed: x86_64, aarch64")))
    }
}

/// One .deb a runtime was made from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deb {
    pub package: String,
    pub version: String,
    pub filename: String,
    pub sha256: String,
}

/// A directory of the runtime bind-mounted into the action's root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    /// Relative to the runtime's root directory.
    pub source: String,
    /// Absolute, inside the action's root.
    pub target: String,
}

/// The manifest of one runtime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeManifest {
    pub name: String,
    pub arch: Arch,
    pub debs: Vec<Deb>,
    pub mounts: Vec<Mount>,
    pub interpreters: Vec<String>,
}

/// Errors from parsing or checking a manifest.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// The glibc version a runtime name declares: `glibc2.35` gives `(2, 35)`.
pub fn glibc_version(name: &str) -> Option<(u32, u32)> {
    let (major, minor) = name.strip_prefix("glibc")?.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return None;
    }
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// A relative path that stays below its base: no `..`, no root, not empty.
fn is_contained(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// An absolute path with no `..`.
fn is_clean_absolute(path: &str) -> bool {
    path.starts_with('/')
        && !Path::new(path)
            .components()
            .any(|c| c == Component::ParentDir)
}

impl RuntimeManifest {
    /// Parses and validates a manifest.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let manifest: Self = serde_json::from_str(text)?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Reads, parses and validates a manifest file; errors name the file.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&text).map_err(|e| invalid(format!("{}: {e}", path.display())))
    }

    /// Serializes as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a manifest always serializes");
        text.push('\n');
        text
    }

    /// Checks the fields' own rules, independent of any tree.
    pub fn validate(&self) -> Result<(), Error> {
        if glibc_version(&self.name).is_none() {
            return Err(invalid(format!(
                "name {:?} is not of the form glibc<major>.<minor>",
                self.name
            )));
        }
        if self.debs.is_empty() {
            return Err(invalid(
                "debs is empty: a runtime comes from at least one .deb",
            ));
        }
        for deb in &self.debs {
            if deb.sha256.len() != 64
                || !deb
                    .sha256
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            {
                return Err(invalid(format!(
                    "deb {}: sha256 {:?} is not 64 lowercase hex digits",
                    deb.filename, deb.sha256
                )));
            }
        }
        if self.mounts.is_empty() {
            return Err(invalid("mounts is empty"));
        }
        for mount in &self.mounts {
            if !is_contained(&mount.source) {
                return Err(invalid(format!(
                    "mount source {:?} must be relative, without ..",
                    mount.source
                )));
            }
            if !is_clean_absolute(&mount.target) {
                return Err(invalid(format!(
                    "mount target {:?} must be absolute, without ..",
                    mount.target
                )));
            }
        }
        if self.interpreters.is_empty() {
            return Err(invalid("interpreters is empty"));
        }
        for interp in &self.interpreters {
            if !is_clean_absolute(interp) {
                return Err(invalid(format!(
                    "interpreter {interp:?} must be absolute, without .."
                )));
            }
        }
        Ok(())
    }

    /// Checks the manifest against the runtime tree at `root`: every mount
    /// source is a directory or a file there, and every interpreter resolves to a file,
    /// following symlinks as the runtime would see them (absolute targets are
    /// resolved inside `root`).
    pub fn check_tree(&self, root: &Path) -> Result<(), Error> {
        for mount in &self.mounts {
            // A directory, or a file (the loader, where its directory is not mounted).
            let path = resolve_in_root(root, &mount.source)?;
            if !path.is_dir() && !path.is_file() {
                return Err(invalid(format!(
                    "mount source {:?} is neither a directory nor a file in {}",
                    mount.source,
                    root.display()
                )));
            }
        }
        for interp in &self.interpreters {
            let path = resolve_in_root(root, interp)?;
            if !path.is_file() {
                return Err(invalid(format!(
                    "interpreter {interp:?} is not a file in {}",
                    root.display()
                )));
            }
        }
        Ok(())
    }
}

/// Resolves `path` inside the tree at `root` as if `root` were `/`:
/// symlinks are followed, and absolute link targets start again at `root`.
/// The result never leaves `root`. Fails on a missing component or a loop.
pub fn resolve_in_root(root: &Path, path: &str) -> Result<PathBuf, Error> {
    let resolved = resolve_with(path, &root.display(), |rel| {
        let candidate = root.join(rel);
        let meta = std::fs::symlink_metadata(&candidate)
            .map_err(|_| invalid(format!("{path:?}: {} does not exist", candidate.display())))?;
        if !meta.file_type().is_symlink() {
            return Ok(None);
        }
        std::fs::read_link(&candidate)
            .map(Some)
            .map_err(|source| Error::Io {
                path: candidate.clone(),
                source,
            })
    })?;
    Ok(std::iter::once(root.as_os_str())
        .chain(resolved.iter())
        .collect())
}

/// Resolves `path` in any tree as if its top were `/`, and returns the
/// result relative to the top. `lookup` is given each relative path on the
/// way: it answers the target of a symlink, `None` for anything else, or an
/// error for a missing path. `tree` names the tree in errors.
pub fn resolve_with(
    path: &str,
    tree: &dyn fmt::Display,
    mut lookup: impl FnMut(&Path) -> Result<Option<PathBuf>, Error>,
) -> Result<PathBuf, Error> {
    const MAX_LINKS: usize = 40;
    let mut links = 0;
    let mut resolved: Vec<std::ffi::OsString> = Vec::new();
    let mut pending: Vec<std::ffi::OsString> = Path::new(path)
        .components()
        .rev()
        .filter_map(component_name)
        .collect();
    while let Some(name) = pending.pop() {
        if name == ".." {
            resolved.pop();
            continue;
        }
        let candidate: PathBuf = resolved.iter().chain([&name]).collect();
        match lookup(&candidate)? {
            Some(target) => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(invalid(format!(
                        "{path:?}: too many levels of symlinks in {tree}"
                    )));
                }
                if target.is_absolute() {
                    resolved.clear();
                }
                pending.extend(target.components().rev().filter_map(component_name));
            }
            None => resolved.push(name),
        }
    }
    Ok(resolved.into_iter().collect())
}

fn component_name(c: Component<'_>) -> Option<std::ffi::OsString> {
    match c {
        Component::Normal(n) => Some(n.to_owned()),
        Component::ParentDir => Some("..".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    const SHA: &str = "ea9a27e0ebdd0cfc9c750d94f8074f3a35d1f97dcc77ae04c370fb498a6b6db2";

    fn manifest() -> RuntimeManifest {
        RuntimeManifest {
            name: "glibc2.35".into(),
            arch: Arch::X86_64,
            debs: vec![Deb {
                package: "libc6".into(),
                version: "2.35-0ubuntu3".into(),
                filename: "libc6_2.35-0ubuntu3_amd64.deb".into(),
                sha256: SHA.into(),
            }],
            mounts: vec![
                Mount {
                    source: "lib/x86_64-linux-gnu".into(),
                    target: "/lib/x86_64-linux-gnu".into(),
                },
                Mount {
                    source: "lib64".into(),
                    target: "/lib64".into(),
                },
            ],
            interpreters: vec!["/lib64/ld-linux-x86-64.so.2".into()],
        }
    }

    /// A jammy-like tree: the loader in /lib/<triplet>, and /lib64 holding an
    /// absolute symlink to it, as libc6 ships it.
    fn jammy_tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("lib/x86_64-linux-gnu")).unwrap();
        fs::write(
            dir.path().join("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
            b"\x7fELF",
        )
        .unwrap();
        fs::create_dir(dir.path().join("lib64")).unwrap();
        symlink(
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            dir.path().join("lib64/ld-linux-x86-64.so.2"),
        )
        .unwrap();
        dir
    }

    #[test]
    fn json_round_trip() {
        let m = manifest();
        assert_eq!(RuntimeManifest::from_json(&m.to_json()).unwrap(), m);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let text = m_json_with(r#""mount": []"#);
        let err = RuntimeManifest::from_json(&text).unwrap_err().to_string();
        assert!(err.contains("unknown field `mount`"), "{err}");
    }

    fn m_json_with(extra: &str) -> String {
        let text = manifest().to_json();
        text.replacen('{', &format!("{{{extra},"), 1)
    }

    #[test]
    fn manifests_with_missing_fields_wrong_types_or_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let good: serde_json::Value = serde_json::from_str(&manifest().to_json()).unwrap();
        let with = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v = good.clone();
            edit(&mut v);
            v.to_string()
        };
        for (text, want) in [
            (
                with(&|v| drop(v.as_object_mut().unwrap().remove("mounts"))),
                "missing field `mounts`",
            ),
            (
                with(&|v| v["debs"] = "libc6".into()),
                "invalid type: string \"libc6\"",
            ),
            (
                with(&|v| v["debs"][0]["sha"] = "x".into()),
                "unknown field `sha`",
            ),
            (
                with(&|v| v["mounts"][0]["mode"] = "ro".into()),
                "unknown field `mode`",
            ),
            (
                with(&|v| v["interpreters"] = 1.into()),
                "invalid type: integer `1`",
            ),
            (
                "[]".to_owned(),
                "invalid length 0, expected struct RuntimeManifest",
            ),
        ] {
            fs::write(&path, &text).unwrap();
            let err = RuntimeManifest::from_file(&path).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{}: ", path.display())) && err.contains(want),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn unknown_arch_lists_allowed() {
        let text = manifest().to_json().replace("\"x86_64\"", "\"riscv64\"");
        let err = RuntimeManifest::from_json(&text).unwrap_err().to_string();
        assert!(
            err.contains("riscv64") && err.contains("x86_64") && err.contains("aarch64"),
            "{err}"
        );
        assert!("riscv64"
            .parse::<Arch>()
            .unwrap_err()
            .to_string()
            .contains("allowed: x86_64, aarch64"));
    }

    #[test]
    fn field_rules() {
        type Edit = Box<dyn Fn(&mut RuntimeManifest)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("not of the form", Box::new(|m| m.name = "libc-2.35".into())),
            ("not of the form", Box::new(|m| m.name = "glibc2.".into())),
            (
                "sha256",
                Box::new(|m| m.debs[0].sha256 = SHA.to_uppercase()),
            ),
            ("debs is empty", Box::new(|m| m.debs.clear())),
            (
                "must be relative",
                Box::new(|m| m.mounts[0].source = "/lib".into()),
            ),
            (
                "must be relative",
                Box::new(|m| m.mounts[0].source = "lib/../../etc".into()),
            ),
            (
                "must be absolute",
                Box::new(|m| m.mounts[0].target = "lib".into()),
            ),
            (
                "interpreter",
                Box::new(|m| m.interpreters[0] = "ld.so".into()),
            ),
            (
                "interpreters is empty",
                Box::new(|m| m.interpreters.clear()),
            ),
        ];
        for (want, edit) in cases {
            let mut m = manifest();
            edit(&mut m);
            let err = m.validate().unwrap_err().to_string();
            assert!(err.contains(want), "want {want:?} in {err:?}");
        }
    }

    #[test]
    fn glibc_versions() {
        assert_eq!(glibc_version("glibc2.35"), Some((2, 35)));
        assert_eq!(glibc_version("glibc2.9"), Some((2, 9)));
        assert_eq!(glibc_version("glibc2"), None);
        assert_eq!(glibc_version("glibc2.3x"), None);
        assert_eq!(glibc_version("musl1.2"), None);
    }

    #[test]
    fn tree_check_follows_absolute_links_inside_root() {
        let tree = jammy_tree();
        manifest().check_tree(tree.path()).unwrap();
    }

    #[test]
    fn tree_check_names_missing_mount_and_interpreter() {
        let tree = jammy_tree();
        let mut m = manifest();
        m.mounts.push(Mount {
            source: "usr/lib/x86_64-linux-gnu".into(),
            target: "/usr/lib/x86_64-linux-gnu".into(),
        });
        let err = m.check_tree(tree.path()).unwrap_err().to_string();
        assert!(err.contains("usr/lib/x86_64-linux-gnu"), "{err}");

        fs::remove_file(
            tree.path()
                .join("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
        )
        .unwrap();
        let err = manifest().check_tree(tree.path()).unwrap_err().to_string();
        assert!(err.contains("/lib64/ld-linux-x86-64.so.2"), "{err}");
    }

    #[test]
    fn resolution_never_leaves_root_and_stops_on_loops() {
        let tree = jammy_tree();
        symlink("../../../../etc", tree.path().join("escape")).unwrap();
        // `..` past the top stays at the root, as it does for `/`.
        let err = resolve_in_root(tree.path(), "/escape/passwd")
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
        symlink("loop", tree.path().join("loop")).unwrap();
        let err = resolve_in_root(tree.path(), "/loop")
            .unwrap_err()
            .to_string();
        assert!(err.contains("too many levels"), "{err}");
    }
}
