//! `runtime_manifest.json`, in actiond's own schema: what a glibc runtime is
//! and how an executor mounts it; and `runtime_packages.json` beside it, the
//! provenance of each .deb ([`packages`]).
//!
//! ```json
//! {
//!   "name": "glibc2.35",
//!   "arch": "x86_64",
//!   "debs": ["https://archive.ubuntu.com/ubuntu/pool/main/g/glibc/libc6_2.35-0ubuntu3_amd64.deb"],
//!   "mounts": [
//!     ["root/etc", "/etc"],
//!     ["root/lib", "/lib"],
//!     ["root/lib64", "/lib64"],
//!     ["root/usr/lib", "/usr/lib"]
//!   ],
//!   "interpreters": ["/lib64/ld-linux-x86-64.so.2"]
//! }
//! ```
//!
//! Exactly these five keys. `debs` says where each .deb came from (see
//! [`RuntimeManifest::debs`]). `mounts` are `[source, target]` pairs, bound
//! in order: `source` is relative to the manifest's directory (so it is
//! `root` or starts with `root/`), `target` is absolute as the action sees
//! it. `interpreters` are the ELF interpreters (PT_INTERP paths) the runtime
//! serves, as the action sees them. After the mounts, an executor binds the
//! image's `common/root` files ([`COMMON_FILES`]) on top.
//!
//! Parsing is strict, and every error names the key and what was expected.

use std::fmt;
use std::path::{Component, Path, PathBuf};

pub mod packages;

/// The manifest's file name in `libc/<name>/<arch>/`.
pub const MANIFEST_FILE: &str = "runtime_manifest.json";

/// The files of an image's `common/root`, relative to it. An executor binds
/// each over the runtime's mounts, at the same path (`/etc/hosts`): they
/// win over the runtime's own. Each runtime carries a file at each of these
/// paths below its `root/`, empty where its .debs have none, as the mount
/// point that a read-only image cannot make at run time.
pub const COMMON_FILES: [&str; 2] = ["etc/hosts", "etc/nsswitch.conf"];

/// The manifest's keys, in the order they are written.
const KEYS: [&str; 5] = ["name", "arch", "debs", "mounts", "interpreters"];

/// A CPU architecture a runtime is built for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
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

    /// Where glibc's `libc.so.6` may be, as the action sees it.
    pub fn libc_paths(self) -> [String; 4] {
        let t = self.triplet();
        [
            format!("/lib/{t}/libc.so.6"),
            format!("/usr/lib/{t}/libc.so.6"),
            "/lib64/libc.so.6".into(),
            "/usr/lib64/libc.so.6".into(),
        ]
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

/// A `[source, target]` pair: `source` bound read-only on `target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Relative to the manifest's directory: `root` or `root/...`.
    pub source: String,
    /// Absolute, as the action sees it.
    pub target: String,
}

impl Mount {
    /// The pair for the runtime's `rel` (relative to its root) at `target`.
    pub fn of_root(rel: &str, target: &str) -> Self {
        Mount {
            source: if rel.is_empty() {
                "root".into()
            } else {
                format!("root/{rel}")
            },
            target: target.into(),
        }
    }

    /// The source relative to the runtime's `root/` (empty for `root`).
    pub fn root_relative(&self) -> &str {
        let rest = self.source.strip_prefix("root").unwrap_or(&self.source);
        rest.strip_prefix('/').unwrap_or(rest)
    }
}

/// The manifest of one runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeManifest {
    /// `glibc<major>.<minor>`.
    pub name: String,
    pub arch: Arch,
    /// Where each .deb came from, in unpacking order: its first URL; the
    /// label of a local file (`@@repo//path:name.deb`); or, for a .deb that
    /// apt fetched, `apt:<package>:<debian arch>=<version>`. Never a path of
    /// the build machine.
    pub debs: Vec<String>,
    pub mounts: Vec<Mount>,
    pub interpreters: Vec<String>,
}

/// Errors from parsing or checking a manifest.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A key of the document, and what was expected of it.
    #[error("{key}: {message}")]
    Key { key: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An error in the file at `path`, shown whole in one message.
    #[error("{path}: {error}")]
    File { path: PathBuf, error: Box<Error> },
}

impl Error {
    fn key(key: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Key {
            key: key.into(),
            message: message.into(),
        }
    }

    /// This error, as found in the file at `path`.
    pub fn in_file(self, path: &Path) -> Error {
        match self {
            Error::Io { .. } | Error::File { .. } => self,
            other => Error::File {
                path: path.to_owned(),
                error: Box::new(other),
            },
        }
    }
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// A JSON value, described for an error message.
pub(crate) fn describe(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(a) => match a.len() {
            1 => "an array of 1 element".into(),
            n => format!("an array of {n} elements"),
        },
        Value::Object(_) => "an object".into(),
    }
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

/// Why `source` is not `root` or `root/<names>` without `.`, `..` or empty
/// names.
fn source_problem(source: &str) -> Option<&'static str> {
    if source != "root" && !source.starts_with("root/") {
        return Some("must be root or start with root/: sources are relative to the manifest's directory, below the runtime's root");
    }
    if source
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Some("must be a plain path below root/: no empty, . or .. components");
    }
    None
}

/// Why `path` is not an absolute path without `.`, `..` or empty names.
fn absolute_problem(path: &str) -> Option<&'static str> {
    let Some(rest) = path.strip_prefix('/') else {
        return Some("must be an absolute path");
    };
    if rest
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Some("must be a plain absolute path: not /, and no empty, . or .. components");
    }
    None
}

/// `path` if it is `prefix` or below it: the rest, without a leading `/`.
fn below<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

fn string<'a>(value: &'a serde_json::Value, key: &str, what: &str) -> Result<&'a str, Error> {
    value
        .as_str()
        .ok_or_else(|| Error::key(key, format!("expected {what}, found {}", describe(value))))
}

fn array<'a>(
    value: &'a serde_json::Value,
    key: &str,
    what: &str,
) -> Result<&'a [serde_json::Value], Error> {
    let items = value
        .as_array()
        .ok_or_else(|| Error::key(key, format!("expected {what}, found {}", describe(value))))?;
    if items.is_empty() {
        return Err(Error::key(key, format!("expected {what}, found none")));
    }
    Ok(items)
}

impl RuntimeManifest {
    /// Parses and validates a manifest.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        let manifest = Self::from_value(&value)?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Reads, parses and validates a manifest file; errors name the file.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&text).map_err(|e| e.in_file(path))
    }

    /// The manifest in `value`, with every key of the schema checked.
    fn from_value(value: &serde_json::Value) -> Result<Self, Error> {
        let object = value.as_object().ok_or_else(|| {
            Error::key(
                "(top level)",
                format!("expected an object, found {}", describe(value)),
            )
        })?;
        if let Some(extra) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(Error::key(
                extra.as_str(),
                format!("unknown key; a manifest has exactly {}", KEYS.join(", ")),
            ));
        }
        let field = |key: &str| {
            object
                .get(key)
                .ok_or_else(|| Error::key(key, "missing; a manifest has all five keys"))
        };
        let name = string(field("name")?, "name", "a string")?.to_owned();
        let arch = string(field("arch")?, "arch", "\"x86_64\" or \"aarch64\"")?
            .parse()
            .map_err(|e: Error| Error::key("arch", e.to_string()))?;
        let debs = array(field("debs")?, "debs", "an array of .deb sources")?
            .iter()
            .enumerate()
            .map(|(i, v)| string(v, &format!("debs[{i}]"), "a string").map(str::to_owned))
            .collect::<Result<_, _>>()?;
        let mut mounts = Vec::new();
        for (i, pair) in array(
            field("mounts")?,
            "mounts",
            "an array of [source, target] pairs",
        )?
        .iter()
        .enumerate()
        {
            let key = format!("mounts[{i}]");
            let what = "a [source, target] pair of two strings";
            let [source, target] = pair.as_array().map(Vec::as_slice).unwrap_or_default() else {
                return Err(Error::key(
                    key,
                    format!("expected {what}, found {}", describe(pair)),
                ));
            };
            mounts.push(Mount {
                source: string(source, &format!("{key}[0]"), "the source, a string")?.to_owned(),
                target: string(target, &format!("{key}[1]"), "the target, a string")?.to_owned(),
            });
        }
        let interpreters = array(field("interpreters")?, "interpreters", "an array of paths")?
            .iter()
            .enumerate()
            .map(|(i, v)| string(v, &format!("interpreters[{i}]"), "a string").map(str::to_owned))
            .collect::<Result<_, _>>()?;
        Ok(RuntimeManifest {
            name,
            arch,
            debs,
            mounts,
            interpreters,
        })
    }

    /// The manifest as pretty JSON with a trailing newline; each mount
    /// pair on one line.
    pub fn to_json(&self) -> String {
        let s = |v: &str| serde_json::Value::from(v).to_string();
        let list = |items: Vec<String>| format!("[\n    {}\n  ]", items.join(",\n    "));
        let fields = [
            s(&self.name),
            s(self.arch.as_str()),
            list(self.debs.iter().map(|d| s(d)).collect()),
            list(
                self.mounts
                    .iter()
                    .map(|m| format!("[{}, {}]", s(&m.source), s(&m.target)))
                    .collect(),
            ),
            list(self.interpreters.iter().map(|i| s(i)).collect()),
        ];
        let body: Vec<String> = KEYS
            .iter()
            .zip(fields)
            .map(|(k, v)| format!("  {}: {v}", s(k)))
            .collect();
        format!("{{\n{}\n}}\n", body.join(",\n"))
    }

    /// Checks the fields' own rules, independent of any tree.
    pub fn validate(&self) -> Result<(), Error> {
        if glibc_version(&self.name).is_none() {
            return Err(Error::key(
                "name",
                format!("{:?} is not of the form glibc<major>.<minor>", self.name),
            ));
        }
        for (i, deb) in self.debs.iter().enumerate() {
            if deb.trim().is_empty() || deb.starts_with('/') {
                return Err(Error::key(
                    format!("debs[{i}]"),
                    format!("{deb:?}: expected a URL, a label or apt:<package>:<arch>=<version>, never a path of the build machine"),
                ));
            }
        }
        if self.mounts.is_empty() {
            return Err(Error::key("mounts", "expected at least one pair"));
        }
        for (i, m) in self.mounts.iter().enumerate() {
            if let Some(problem) = source_problem(&m.source) {
                return Err(Error::key(
                    format!("mounts[{i}][0]"),
                    format!("{:?} {problem}", m.source),
                ));
            }
            if let Some(problem) = absolute_problem(&m.target) {
                return Err(Error::key(
                    format!("mounts[{i}][1]"),
                    format!("{:?} {problem}", m.target),
                ));
            }
            // A mount hides what earlier ones put below its target.
            if let Some((j, earlier)) = self.mounts[..i]
                .iter()
                .enumerate()
                .find(|(_, e)| below(&e.target, &m.target).is_some())
            {
                return Err(Error::key(
                    format!("mounts[{i}][1]"),
                    format!(
                        "{:?} would hide mounts[{j}] at {:?}: list a target before the ones below it, and each target once",
                        m.target, earlier.target
                    ),
                ));
            }
        }
        if self.interpreters.is_empty() {
            return Err(Error::key("interpreters", "expected at least one path"));
        }
        for (i, interp) in self.interpreters.iter().enumerate() {
            if let Some(problem) = absolute_problem(interp) {
                return Err(Error::key(
                    format!("interpreters[{i}]"),
                    format!("{interp:?} {problem}"),
                ));
            }
            if self.source_of(interp).is_none() {
                return Err(Error::key(
                    format!("interpreters[{i}]"),
                    format!("{interp:?} is below no mount target"),
                ));
            }
        }
        Ok(())
    }

    /// Where the absolute `path` of the action's view comes from: the last
    /// mount whose target holds it, and the path relative to the manifest's
    /// directory (`root/...`). Not followed through symlinks.
    pub fn source_of(&self, path: &str) -> Option<String> {
        self.mounts.iter().rev().find_map(|m| {
            below(path, &m.target).map(|rest| {
                if rest.is_empty() {
                    m.source.clone()
                } else {
                    format!("{}/{rest}", m.source)
                }
            })
        })
    }

    /// Resolves the absolute `path` as the action sees it, through the
    /// mounts, with symlinks followed as the action would follow them.
    /// `lookup` is given each path relative to the manifest's directory,
    /// and answers as for [`resolve_with`]. Returns the result relative to
    /// the manifest's directory. Directories that only hold mount targets
    /// (`/usr` of `/usr/lib`) have no source: resolving one is an error.
    pub fn resolve(
        &self,
        path: &str,
        tree: &dyn fmt::Display,
        mut lookup: impl FnMut(&str) -> Result<Option<PathBuf>, Error>,
    ) -> Result<String, Error> {
        let view = |rel: &Path| format!("/{}", rel.display());
        let resolved = resolve_with(path, tree, |rel| {
            let at = view(rel);
            match self.source_of(&at) {
                Some(source) => lookup(&source),
                None if self.mounts.iter().any(|m| below(&m.target, &at).is_some()) => Ok(None),
                None => Err(invalid(format!(
                    "{path:?}: {at} is in no mount of the runtime"
                ))),
            }
        })?;
        let at = view(&resolved);
        self.source_of(&at).ok_or_else(|| {
            invalid(format!(
                "{path:?}: {at} is only a directory of mount points"
            ))
        })
    }

    /// The action's view of `path` in the runtime at `dir` (the manifest's
    /// directory, holding `root/`), as a path on this machine; symlinks are
    /// followed inside that view, never out to this machine's files.
    pub fn resolve_in_dir(&self, dir: &Path, path: &str) -> Result<PathBuf, Error> {
        let rel = self.resolve(path, &dir.display(), |rel| {
            if let Some(problem) = source_problem(rel) {
                return Err(invalid(format!("{rel}: {problem}")));
            }
            lookup_on_disk(path, &dir.join(rel))
        })?;
        Ok(dir.join(rel))
    }

    /// Checks the manifest against the runtime at `dir` (the manifest's
    /// directory): every source is a directory or a file below `root/`
    /// (symlinks followed inside it), and every interpreter resolves to a
    /// file through the mounts.
    pub fn check_tree(&self, dir: &Path) -> Result<(), Error> {
        let root = dir.join("root");
        for (i, m) in self.mounts.iter().enumerate() {
            let path = resolve_in_root(&root, m.root_relative())
                .map_err(|e| Error::key(format!("mounts[{i}][0]"), e.to_string()))?;
            if !path.is_dir() && !path.is_file() {
                return Err(Error::key(
                    format!("mounts[{i}][0]"),
                    format!(
                        "{:?} is neither a directory nor a file in {}",
                        m.source,
                        dir.display()
                    ),
                ));
            }
        }
        for (i, interp) in self.interpreters.iter().enumerate() {
            let key = format!("interpreters[{i}]");
            let path = self
                .resolve_in_dir(dir, interp)
                .map_err(|e| Error::key(&key, e.to_string()))?;
            if !path.is_file() {
                return Err(Error::key(
                    key,
                    format!("{interp:?} is not a file in {}", dir.display()),
                ));
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
        lookup_on_disk(path, &root.join(rel))
    })?;
    Ok(std::iter::once(root.as_os_str())
        .chain(resolved.iter())
        .collect())
}

/// What resolving `path` asks of the file `on_disk`: its symlink target,
/// `None` for anything else, an error when it is missing.
fn lookup_on_disk(path: &str, on_disk: &Path) -> Result<Option<PathBuf>, Error> {
    let meta = std::fs::symlink_metadata(on_disk)
        .map_err(|_| invalid(format!("{path:?}: {} does not exist", on_disk.display())))?;
    if !meta.file_type().is_symlink() {
        return Ok(None);
    }
    std::fs::read_link(on_disk)
        .map(Some)
        .map_err(|source| Error::Io {
            path: on_disk.to_owned(),
            source,
        })
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
mod tests;
