//! The runtime lock: package names, resolved through `Packages` indexes into
//! pinned .debs (version, file name, size, sha256, mirrors).
//!
//! A [`Request`] names, per runtime, an index file, the packages and URL
//! templates; [`lock`] resolves it into a [`Lock`], which the `glibc` module
//! extension reads instead of hand-written pins. URL templates may use
//! `{filename}` (the index's path below the archive root) and `{basename}`;
//! `apt:{package}:<arch>={version}` has the machine's apt fetch the .deb.

use deb_index::Index;
use runtime_manifest::Arch;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What to lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub runtimes: Vec<RuntimeRequest>,
}

/// One runtime to lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeRequest {
    pub name: String,
    pub arch: Arch,
    /// A Packages index (plain, .xz, .gz or .zst); a relative path is taken from the `base` given to [`lock`].
    pub index: PathBuf,
    /// Package names, unpacked in this order; the first is normally libc6.
    pub packages: Vec<String>,
    /// URL templates with `{filename}`, `{basename}`, or `{package}` and
    /// `{version}` (for `apt:{package}:arm64={version}`), mirrors in order.
    pub urls: Vec<String>,
}

/// The lock file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub runtimes: Vec<LockedRuntime>,
}

/// A locked runtime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedRuntime {
    pub name: String,
    pub arch: Arch,
    pub debs: Vec<LockedDeb>,
}

/// A pinned .deb.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedDeb {
    pub package: String,
    pub version: String,
    pub filename: String,
    pub size: u64,
    pub sha256: String,
    pub urls: Vec<String>,
}

/// Errors that name the file and the reason.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Index(#[from] deb_index::Error),
    #[error("{path}: {message}")]
    Request { path: PathBuf, message: String },
}

impl Request {
    /// Reads a request file.
    pub fn read(path: &Path) -> Result<Request, Error> {
        let err = |message: String| Error::Request {
            path: path.to_owned(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| err(e.to_string()))
    }
}

/// Resolves every runtime of `request`; index paths are relative to `base`.
pub fn lock(request: &Request, base: &Path, request_path: &Path) -> Result<Lock, Error> {
    let err = |message: String| Error::Request {
        path: request_path.to_owned(),
        message,
    };
    let mut runtimes = Vec::new();
    for rt in &request.runtimes {
        if runtime_manifest::glibc_version(&rt.name).is_none() {
            return Err(err(format!(
                "runtime name {:?} is not of the form glibc<major>.<minor>",
                rt.name
            )));
        }
        if rt.packages.is_empty() || rt.urls.is_empty() {
            return Err(err(format!(
                "runtime {} {}: packages and urls must not be empty",
                rt.name, rt.arch
            )));
        }
        for url in &rt.urls {
            let names_the_file = url.contains("{filename}")
                || url.contains("{basename}")
                || (url.contains("{package}") && url.contains("{version}"));
            if !names_the_file {
                return Err(err(format!(
                    "url template {url:?} has neither {{filename}} nor {{basename}} nor {{package}} and {{version}}"
                )));
            }
        }
        let index = Index::read(&base.join(&rt.index))?;
        let mut debs = Vec::new();
        for name in &rt.packages {
            let pkg = index.find(name, rt.arch.deb_arch()).ok_or_else(|| {
                err(format!(
                    "runtime {} {}: package {name} ({}) is not in {}",
                    rt.name,
                    rt.arch,
                    rt.arch.deb_arch(),
                    rt.index.display()
                ))
            })?;
            let urls = rt
                .urls
                .iter()
                .map(|t| {
                    t.replace("{filename}", &pkg.filename)
                        .replace("{basename}", pkg.basename())
                        .replace("{package}", &pkg.name)
                        .replace("{version}", &pkg.version)
                })
                .collect();
            debs.push(LockedDeb {
                package: pkg.name.clone(),
                version: pkg.version.clone(),
                filename: pkg.basename().to_owned(),
                size: pkg.size,
                sha256: pkg.sha256.clone(),
                urls,
            });
        }
        runtimes.push(LockedRuntime {
            name: rt.name.clone(),
            arch: rt.arch,
            debs,
        });
    }
    runtimes.sort_by(|a, b| (&a.name, a.arch).cmp(&(&b.name, b.arch)));
    for pair in runtimes.windows(2) {
        if pair[0].name == pair[1].name && pair[0].arch == pair[1].arch {
            return Err(err(format!(
                "runtime {} {} is requested twice",
                pair[0].name, pair[0].arch
            )));
        }
    }
    Ok(Lock { runtimes })
}

impl Lock {
    /// Pretty JSON with a trailing newline: stable, for committing.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a lock always serializes");
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "ea9a27e0ebdd0cfc9c750d94f8074f3a35d1f97dcc77ae04c370fb498a6b6db2";

    fn setup() -> (tempfile::TempDir, Request) {
        let dir = tempfile::tempdir().unwrap();
        let index = format!(
            "Package: libc6\nArchitecture: amd64\nVersion: 2.35-0ubuntu3\nFilename: pool/main/g/glibc/libc6_2.35-0ubuntu3_amd64.deb\nSize: 3235142\nSHA256: {SHA}\n\n\
             Package: libc6\nArchitecture: arm64\nVersion: 2.35-0ubuntu3\nFilename: pool/main/g/glibc/libc6_2.35-0ubuntu3_arm64.deb\nSize: 1\nSHA256: {SHA}\n"
        );
        std::fs::write(dir.path().join("Packages"), index).unwrap();
        let request = Request {
            runtimes: vec![RuntimeRequest {
                name: "glibc2.35".into(),
                arch: Arch::X86_64,
                index: "Packages".into(),
                packages: vec!["libc6".into()],
                urls: vec![
                    "https://mirror.example/ubuntu/{filename}".into(),
                    "https://files.example/{basename}".into(),
                    "apt:{package}:amd64={version}".into(),
                ],
            }],
        };
        (dir, request)
    }

    #[test]
    fn resolves_names_into_pins() {
        let (dir, request) = setup();
        let lock = lock(&request, dir.path(), Path::new("req.json")).unwrap();
        let deb = &lock.runtimes[0].debs[0];
        assert_eq!(deb.filename, "libc6_2.35-0ubuntu3_amd64.deb");
        assert_eq!(deb.size, 3235142);
        assert_eq!(deb.sha256, SHA);
        assert_eq!(
            deb.urls,
            [
                "https://mirror.example/ubuntu/pool/main/g/glibc/libc6_2.35-0ubuntu3_amd64.deb",
                "https://files.example/libc6_2.35-0ubuntu3_amd64.deb",
                "apt:libc6:amd64=2.35-0ubuntu3"
            ]
        );
        let again: Lock = serde_json::from_str(&lock.to_json()).unwrap();
        assert_eq!(again, lock);
    }

    #[test]
    fn missing_package_names_the_index() {
        let (dir, mut request) = setup();
        request.runtimes[0].packages.push("libstdc++6".into());
        let err = lock(&request, dir.path(), Path::new("req.json"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "req.json: runtime glibc2.35 x86_64: package libstdc++6 (amd64) is not in Packages"
        );
    }

    #[test]
    fn bad_templates_and_duplicates() {
        let (dir, mut request) = setup();
        request.runtimes[0].urls = vec!["https://mirror.example/libc6.deb".into()];
        assert!(lock(&request, dir.path(), Path::new("r"))
            .unwrap_err()
            .to_string()
            .contains("neither {filename} nor {basename} nor {package} and {version}"));
        let (dir, mut request) = setup();
        request.runtimes.push(request.runtimes[0].clone());
        assert!(lock(&request, dir.path(), Path::new("r"))
            .unwrap_err()
            .to_string()
            .contains("requested twice"));
    }

    #[test]
    fn requests_with_missing_fields_wrong_types_or_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("req.json");
        let runtime = |extra: &str| {
            format!(
                r#"{{"runtimes": [{{"name": "glibc2.35", "arch": "x86_64", "index": "P", {extra}}}]}}"#
            )
        };
        for (text, want) in [
            ("{}".to_owned(), "missing field `runtimes`"),
            (r#"{"runtimes": {}}"#.to_owned(), "invalid type: map, expected a sequence"),
            (runtime(r#""packages": []"#), "missing field `urls`"),
            (runtime(r#""packages": "libc6", "urls": []"#), "invalid type: string \"libc6\""),
            (runtime(r#""packages": [], "urls": [], "url": []"#), "unknown field `url`"),
            (
                r#"{"runtimes": [{"name": "g", "arch": "sparc", "index": "P", "packages": [], "urls": []}]}"#.to_owned(),
                "unknown variant `sparc`",
            ),
        ] {
            std::fs::write(&path, &text).unwrap();
            let err = Request::read(&path).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{}: ", path.display())) && err.contains(want),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn unknown_request_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("req.json");
        std::fs::write(&path, r#"{"runtimes": [], "mirrors": []}"#).unwrap();
        let err = Request::read(&path).unwrap_err().to_string();
        assert!(
            err.contains("req.json") && err.contains("unknown field `mirrors`"),
            "{err}"
        );
    }
}
