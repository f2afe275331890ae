//! `runtime_packages.json`: the provenance of a runtime's .debs, beside its
//! `runtime_manifest.json` (whose schema has no room for it).
//!
//! ```json
//! {
//!   "name": "glibc2.35",
//!   "arch": "x86_64",
//!   "packages": [
//!     {
//!       "package": "libc6",
//!       "version": "2.35-0ubuntu3",
//!       "filename": "libc6_2.35-0ubuntu3_amd64.deb",
//!       "sha256": "ea9a…",
//!       "source": "https://archive.ubuntu.com/ubuntu/pool/main/g/glibc/libc6_2.35-0ubuntu3_amd64.deb"
//!     }
//!   ]
//! }
//! ```
//!
//! One entry per .deb, in unpacking order; `source` is the manifest's
//! `debs` entry for it. The schema is `runtimes/schemas/runtime_packages.schema.json`.

use crate::{describe, glibc_version, Arch, Error, RuntimeManifest};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The file name beside the manifest.
pub const PACKAGES_FILE: &str = "runtime_packages.json";

/// One .deb of a runtime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// The control file's `Package`.
    pub package: String,
    /// The control file's `Version`.
    pub version: String,
    /// The .deb's file name.
    pub filename: String,
    /// The .deb's sha256, 64 lowercase hex digits.
    pub sha256: String,
    /// Where it came from: the manifest's `debs` entry.
    pub source: String,
}

/// The provenance of one runtime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimePackages {
    pub name: String,
    pub arch: Arch,
    pub packages: Vec<Package>,
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl RuntimePackages {
    /// Parses and validates a packages file's text.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        if !value.is_object() {
            return Err(Error::Key {
                key: "(top level)".into(),
                message: format!("expected an object, found {}", describe(&value)),
            });
        }
        let parsed: Self = serde_json::from_value(value)?;
        parsed.validate()?;
        Ok(parsed)
    }

    /// Reads, parses and validates a packages file; errors name the file.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&text).map_err(|e| e.in_file(path))
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("packages always serialize");
        text.push('\n');
        text
    }

    /// Checks the fields' own rules.
    pub fn validate(&self) -> Result<(), Error> {
        let key = |key: String, message: String| Error::Key { key, message };
        if glibc_version(&self.name).is_none() {
            return Err(key(
                "name".into(),
                format!("{:?} is not of the form glibc<major>.<minor>", self.name),
            ));
        }
        if self.packages.is_empty() {
            return Err(key("packages".into(), "expected at least one .deb".into()));
        }
        for (i, p) in self.packages.iter().enumerate() {
            if !is_sha256(&p.sha256) {
                return Err(key(
                    format!("packages[{i}].sha256"),
                    format!("{:?} is not 64 lowercase hex digits", p.sha256),
                ));
            }
            for (field, value) in [
                ("package", &p.package),
                ("version", &p.version),
                ("filename", &p.filename),
                ("source", &p.source),
            ] {
                if value.is_empty() {
                    return Err(key(
                        format!("packages[{i}].{field}"),
                        "expected a non-empty string".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks that these are the packages of `manifest`: the same runtime,
    /// and one package per `debs` entry, in order, with that source.
    pub fn check_matches(&self, manifest: &RuntimeManifest) -> Result<(), Error> {
        if (self.name.as_str(), self.arch) != (manifest.name.as_str(), manifest.arch) {
            return Err(Error::Invalid(format!(
                "describes {} {}, but the manifest {} {}",
                self.name, self.arch, manifest.name, manifest.arch
            )));
        }
        let sources: Vec<&String> = self.packages.iter().map(|p| &p.source).collect();
        let debs: Vec<&String> = manifest.debs.iter().collect();
        if sources != debs {
            return Err(Error::Invalid(format!(
                "the packages' sources {sources:?} are not the manifest's debs {debs:?}"
            )));
        }
        Ok(())
    }
}
