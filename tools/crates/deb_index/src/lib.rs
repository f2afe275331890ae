//! `Packages` indexes, as apt repositories publish them
//! (`dists/<suite>/<component>/binary-<arch>/Packages{,.xz,.gz}`).
//!
//! [`Index::read`] accepts plain, xz, gzip and zstd files alike. Every stanza
//! must have the fields a lock needs (Package, Version, Architecture,
//! Filename, Size, SHA256); an error names the file and the stanza's line.

mod version;

pub use version::compare_versions;

use std::cmp::Ordering;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One binary package of an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub architecture: String,
    /// Path below the archive root, e.g. `pool/main/g/glibc/libc6_2.35-0ubuntu3_amd64.deb`.
    pub filename: String,
    pub size: u64,
    pub sha256: String,
}

impl Package {
    /// The file name part of [`Package::filename`].
    pub fn basename(&self) -> &str {
        self.filename.rsplit('/').next().unwrap_or(&self.filename)
    }
}

/// Errors naming the index and where in it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// The most bytes an index may decompress to: the largest real ones (a
/// whole archive's universe) are a few hundred MiB; past this, it is a
/// decompression bomb, not an index.
pub const MAX_INDEX_BYTES: u64 = 1 << 30;

/// The packages of one index file.
#[derive(Clone, Debug, Default)]
pub struct Index {
    pub packages: Vec<Package>,
}

impl Index {
    /// Reads an index file, compressed or not.
    pub fn read(path: &Path) -> Result<Index, Error> {
        Index::read_limited(path, MAX_INDEX_BYTES)
    }

    /// [`Index::read`], failing if the index decompresses past `limit` bytes.
    pub fn read_limited(path: &Path, limit: u64) -> Result<Index, Error> {
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let (_, reader) = decompress::open(file).map_err(|e| match e {
            decompress::Error::Io(source) => Error::Io {
                path: path.to_owned(),
                source,
            },
        })?;
        let mut bytes = Vec::new();
        let mut limited = decompress::Limited::new(reader, limit);
        if let Err(e) = limited.read_to_end(&mut bytes) {
            return Err(if limited.exceeded() {
                Error::Parse {
                    path: path.to_owned(),
                    line: 0,
                    message: format!("expands past {limit} bytes, more than a Packages index"),
                }
            } else {
                io(e)
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| Error::Parse {
            path: path.to_owned(),
            line: 0,
            message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        })?;
        Index::parse(&text).map_err(|(line, message)| Error::Parse {
            path: path.to_owned(),
            line,
            message,
        })
    }

    /// Parses index text; errors are (line, message).
    pub fn parse(text: &str) -> Result<Index, (usize, String)> {
        let mut packages = Vec::new();
        let mut fields: Vec<(&str, &str)> = Vec::new();
        let mut start = 1;
        for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
            if line.trim().is_empty() {
                if !fields.is_empty() {
                    packages.push(stanza(&fields).map_err(|m| (start, m))?);
                    fields.clear();
                }
                continue;
            }
            if fields.is_empty() {
                start = n;
            }
            if line.starts_with(' ') || line.starts_with('\t') {
                // A continuation line of a multi-line field: none we need.
                if fields.is_empty() {
                    return Err((n, "continuation line outside a stanza".into()));
                }
                continue;
            }
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| (n, format!("not a 'Field: value' line: {line:?}")))?;
            fields.push((key, value.trim()));
        }
        if !fields.is_empty() {
            packages.push(stanza(&fields).map_err(|m| (start, m))?);
        }
        Ok(Index { packages })
    }

    /// The newest version of `name` for `arch` (or `all`), if any.
    pub fn find(&self, name: &str, arch: &str) -> Option<&Package> {
        self.packages
            .iter()
            .filter(|p| p.name == name && (p.architecture == arch || p.architecture == "all"))
            .max_by(|a, b| compare_versions(&a.version, &b.version).then(Ordering::Equal))
    }
}

fn stanza(fields: &[(&str, &str)]) -> Result<Package, String> {
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    };
    let name = get("Package").ok_or("stanza without a Package field")?;
    let need = |key: &str| get(key).ok_or_else(|| format!("package {name}: no {key} field"));
    let size = need("Size")?;
    let sha256 = need("SHA256")?;
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "package {name}: SHA256 {sha256:?} is not 64 hex digits"
        ));
    }
    Ok(Package {
        name: name.to_owned(),
        version: need("Version")?.to_owned(),
        architecture: need("Architecture")?.to_owned(),
        filename: need("Filename")?.to_owned(),
        size: size
            .parse()
            .map_err(|_| format!("package {name}: Size {size:?} is not a number"))?,
        sha256: sha256.to_ascii_lowercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "847a68e5f1ec2cd4e6fc191c5eaf0547445dd5c473c7617c068ba4441f63b292";

    fn stanza_text(name: &str, version: &str, arch: &str) -> String {
        format!(
            "Package: {name}\nArchitecture: {arch}\nVersion: {version}\nDescription: x\n long text\n .\nFilename: pool/main/{name}_{version}_{arch}.deb\nSize: 42\nSHA256: {SHA}\n"
        )
    }

    #[test]
    fn parses_stanzas_and_picks_the_newest() {
        let text = [
            stanza_text("libc6", "2.35-0ubuntu3", "amd64"),
            stanza_text("libc6", "2.35-0ubuntu3.8", "amd64"),
            stanza_text("libc6", "2.35-0ubuntu3.10", "amd64"),
            stanza_text("libc6", "2.36-1", "arm64"),
            stanza_text("tzdata", "2024a-1", "all"),
        ]
        .join("\n");
        let index = Index::parse(&text).unwrap();
        assert_eq!(index.packages.len(), 5);
        let libc = index.find("libc6", "amd64").unwrap();
        assert_eq!(libc.version, "2.35-0ubuntu3.10");
        assert_eq!(libc.basename(), "libc6_2.35-0ubuntu3.10_amd64.deb");
        assert_eq!(libc.size, 42);
        assert_eq!(index.find("tzdata", "amd64").unwrap().architecture, "all");
        assert!(index.find("libc6", "riscv64").is_none());
    }

    #[test]
    fn missing_field_names_package_and_line() {
        let text = format!(
            "{}\nPackage: broken\nVersion: 1\n",
            stanza_text("ok", "1", "amd64")
        );
        let (line, message) = Index::parse(&text).unwrap_err();
        assert_eq!(line, 11);
        assert!(
            message.contains("package broken: no Size field"),
            "{message}"
        );
    }

    #[test]
    fn bad_lines_are_errors() {
        assert!(Index::parse("Package libc6\n")
            .unwrap_err()
            .1
            .contains("not a 'Field: value' line"));
        assert!(Index::parse(" orphan\n")
            .unwrap_err()
            .1
            .contains("continuation"));
        let bad_sha = stanza_text("x", "1", "amd64").replace(SHA, "abc");
        assert!(Index::parse(&bad_sha)
            .unwrap_err()
            .1
            .contains("not 64 hex digits"));
    }

    #[test]
    fn a_decompression_bomb_is_not_read_whole() {
        let dir = std::env::temp_dir().join(format!("deb_index_bomb_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("Packages.zst");
        // 8 MiB of newlines in a few hundred bytes of zstd, read with a 1 MiB limit.
        let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 19).unwrap();
        let block = vec![b'\n'; 1 << 20];
        for _ in 0..8 {
            std::io::Write::write_all(&mut enc, &block).unwrap();
        }
        std::fs::write(&path, enc.finish().unwrap()).unwrap();
        assert!(Index::read(&path).unwrap().packages.is_empty());
        let err = Index::read_limited(&path, 1 << 20).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            err,
            format!(
                "{}: line 0: expands past 1048576 bytes, more than a Packages index",
                path.display()
            )
        );
    }

    #[test]
    fn read_names_the_file() {
        let dir = std::env::temp_dir().join(format!("deb_index_test_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("Packages");
        std::fs::write(&path, "Package: x\n").unwrap();
        let err = Index::read(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: line 1: package x: no", path.display())),
            "{err}"
        );
        let err = Index::read(&dir.join("missing")).unwrap_err().to_string();
        assert!(err.contains("missing"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
