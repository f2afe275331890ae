//! The input root of an action, written to disk.

use crate::proto::{Digest, Directory};
use crate::{display, failed, io_error, Cas, Error, Result, BATCH_BYTES};
use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Component, Path, PathBuf};

/// A file of the input root, where it goes and how.
struct Placement {
    path: PathBuf,
    executable: bool,
}

/// One name of a directory entry, refused unless it is a plain name.
fn entry_name<'a>(name: &'a str, parent: &Path) -> Result<&'a Path> {
    let path = Path::new(name);
    let mut parts = path.components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) => Ok(path),
        _ => Err(Error::Invalid(format!(
            "input root: {:?} in {} is not a plain name",
            name,
            parent.display()
        ))),
    }
}

impl Cas {
    /// Every directory of the tree under `root`, by digest.
    async fn get_tree(&self, root: &Digest) -> Result<HashMap<String, Directory>> {
        let mut directories = HashMap::new();
        let mut page_token = String::new();
        // Each page holds at least one directory, so there are no more pages
        // than directories; the bound only stops a server that loops.
        for _ in 0..1_000_000 {
            let request = crate::proto::GetTreeRequest {
                instance_name: self.instance.clone(),
                root_digest: Some(root.clone()),
                page_size: 0,
                page_token: page_token.clone(),
                ..Default::default()
            };
            let what = || format!("GetTree of input root {}", display(root));
            let mut stream = self
                .cas
                .clone()
                .get_tree(request)
                .await
                .map_err(failed(&what))?
                .into_inner();
            page_token.clear();
            while let Some(page) = stream.message().await.map_err(failed(&what))? {
                for directory in page.directories {
                    let (digest, _) = crate::digest_of_message(&directory);
                    directories.insert(display(&digest), directory);
                }
                page_token = page.next_page_token;
            }
            if page_token.is_empty() {
                return Ok(directories);
            }
        }
        Err(Error::Invalid(format!(
            "GetTree of input root {}: the pages never end",
            display(root)
        )))
    }

    /// Writes the tree `root` under `dir`, which must exist and be empty.
    /// Files are read-only; executables have their x bits. With `cache`
    /// (made if missing), blobs are kept there (one read-only file per digest
    /// and mode) and hard-linked into place, or copied from it across
    /// filesystems, so a blob is fetched once per cache.
    pub async fn stage(&self, root: &Digest, dir: &Path, cache: Option<&Path>) -> Result<()> {
        let empty = crate::digest_of(&[]);
        if *root == empty {
            return Ok(());
        }
        if let Some(cache) = cache {
            std::fs::create_dir_all(cache).map_err(io_error(cache, "cannot create the cache"))?;
        }
        let directories = self.get_tree(root).await?;
        let mut blobs: BTreeMap<String, (Digest, Vec<Placement>)> = BTreeMap::new();
        // Directories are found by the digests we compute of them, so a
        // server cannot make a cycle (a directory naming its own digest):
        // the walk ends.
        let mut stack = vec![(root.clone(), dir.to_owned())];
        while let Some((digest, at)) = stack.pop() {
            let directory = if digest == empty {
                Directory::default()
            } else {
                directories.get(&display(&digest)).cloned().ok_or_else(|| {
                    Error::Invalid(format!(
                        "input root {}: directory {} ({}) is missing from GetTree's answer",
                        display(root),
                        display(&digest),
                        at.display()
                    ))
                })?
            };
            std::fs::create_dir_all(&at).map_err(io_error(&at, "cannot create the directory"))?;
            for file in directory.files {
                let path = at.join(entry_name(&file.name, &at)?);
                let digest = file.digest.unwrap_or_default();
                blobs
                    .entry(display(&digest))
                    .or_insert_with(|| (digest, Vec::new()))
                    .1
                    .push(Placement {
                        path,
                        executable: file.is_executable,
                    });
            }
            for link in directory.symlinks {
                let path = at.join(entry_name(&link.name, &at)?);
                std::os::unix::fs::symlink(&link.target, &path)
                    .map_err(io_error(&path, "cannot create the symlink"))?;
            }
            for sub in directory.directories {
                let path = at.join(entry_name(&sub.name, &at)?);
                stack.push((sub.digest.unwrap_or_default(), path));
            }
        }

        let mut wanted = Vec::new();
        for (digest, mut places) in blobs.into_values() {
            if let Some(cache) = cache {
                places.retain(|p| {
                    from_cache(&cached(cache, &digest, p.executable), &p.path).is_err()
                });
            }
            if !places.is_empty() {
                wanted.push((digest, places));
            }
        }

        // Small blobs in batches of at most BATCH_BYTES, large ones alone.
        let mut pending: Vec<(Digest, Vec<Placement>)> = Vec::new();
        let mut pending_bytes = 0usize;
        let mut wanted = wanted.into_iter().peekable();
        while let Some((digest, places)) = wanted.next() {
            let size = digest.size_bytes as usize;
            if size > BATCH_BYTES {
                let data = self.read(&digest).await?;
                place(&digest, &data, &places, cache)?;
                continue;
            }
            pending_bytes += size;
            pending.push((digest, places));
            let full = wanted
                .peek()
                .is_none_or(|(next, _)| pending_bytes + next.size_bytes as usize > BATCH_BYTES);
            if full {
                let digests: Vec<Digest> = pending.iter().map(|(d, _)| d.clone()).collect();
                let fetched = self.read_batch(&digests).await?;
                let mut by_hash: HashMap<String, Vec<u8>> = fetched
                    .into_iter()
                    .map(|(d, data)| (display(&d), data))
                    .collect();
                for (digest, places) in pending.drain(..) {
                    let data = by_hash.remove(&display(&digest)).ok_or_else(|| {
                        Error::Invalid(format!(
                            "BatchReadBlobs: blob {} was asked for and not sent",
                            display(&digest)
                        ))
                    })?;
                    place(&digest, &data, &places, cache)?;
                }
                pending_bytes = 0;
            }
        }
        Ok(())
    }
}

fn mode(executable: bool) -> u32 {
    if executable {
        0o555
    } else {
        0o444
    }
}

/// The cache's file for `digest` with that mode.
fn cached(cache: &Path, digest: &Digest, executable: bool) -> PathBuf {
    cache.join(format!(
        "{}-{}{}",
        digest.hash,
        digest.size_bytes,
        if executable { "-x" } else { "" }
    ))
}

/// Puts the cache's file `from` at `to`: a hard link, or a copy where the
/// two are on different filesystems. Fails only when `from` is missing (or
/// unreadable), so a blob in the cache is never fetched again.
fn from_cache(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => std::fs::copy(from, to).map(drop),
        done => done,
    }
}

/// Writes `data` at every placement: through the cache when there is one,
/// else as a new file each.
fn place(digest: &Digest, data: &[u8], places: &[Placement], cache: Option<&Path>) -> Result<()> {
    for p in places {
        if let Some(cache) = cache {
            let entry = cached(cache, digest, p.executable);
            if !entry.exists() {
                let tmp = cache.join(format!(".{}.{}", digest.hash, std::process::id()));
                write_file(&tmp, data, mode(p.executable))?;
                std::fs::rename(&tmp, &entry)
                    .map_err(io_error(&entry, "cannot add to the cache"))?;
            }
            if from_cache(&entry, &p.path).is_ok() {
                continue;
            }
        }
        write_file(&p.path, data, mode(p.executable))?;
    }
    Ok(())
}

fn write_file(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    std::fs::write(path, data).map_err(io_error(path, "cannot write"))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(io_error(path, "cannot set the mode"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_serves_by_link_and_refuses_only_a_missing_entry() {
        let dir = tempfile::tempdir().unwrap();
        let entry = dir.path().join("blob");
        std::fs::write(&entry, "data").unwrap();
        from_cache(&entry, &dir.path().join("a")).unwrap();
        assert_eq!(std::fs::read(dir.path().join("a")).unwrap(), b"data");
        let err = from_cache(&dir.path().join("missing"), &dir.path().join("b")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn entry_names_are_plain() {
        let parent = Path::new("/ws");
        assert!(entry_name("a.txt", parent).is_ok());
        for bad in ["..", "a/b", "/etc", "", "."] {
            let err = entry_name(bad, parent).unwrap_err().to_string();
            assert!(err.contains("not a plain name"), "{bad}: {err}");
        }
    }
}
