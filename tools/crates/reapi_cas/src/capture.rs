//! An action's outputs, uploaded and described as an `ActionResult` does.

use crate::proto::{
    ActionResult, Command, Digest, Directory, DirectoryNode, FileNode, OutputDirectory, OutputFile,
    OutputSymlink, SymlinkNode, Tree,
};
use crate::{digest_of, digest_of_message, display, io_error, Cas, Error, Result};
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Component, Path, PathBuf};

/// Where the bytes of a blob to upload are.
enum Source {
    File(PathBuf),
    Bytes(Vec<u8>),
}

/// The blobs an `ActionResult` refers to, by digest.
#[derive(Default)]
struct Blobs(HashMap<String, (Digest, Source)>);

impl Blobs {
    fn file(&mut self, path: &Path) -> Result<Digest> {
        let data = std::fs::read(path).map_err(io_error(path, "cannot read the output"))?;
        let digest = digest_of(&data);
        self.0
            .entry(display(&digest))
            .or_insert_with(|| (digest.clone(), Source::File(path.to_owned())));
        Ok(digest)
    }

    fn bytes(&mut self, data: Vec<u8>) -> Digest {
        let digest = digest_of(&data);
        self.0
            .entry(display(&digest))
            .or_insert_with(|| (digest.clone(), Source::Bytes(data)));
        digest
    }

    fn message(&mut self, message: &impl prost::Message) -> Digest {
        let (_, bytes) = digest_of_message(message);
        self.bytes(bytes)
    }
}

fn is_executable(meta: &std::fs::Metadata) -> bool {
    meta.permissions().mode() & 0o111 != 0
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The `Directory` of `dir`, with every directory below it in `children`.
fn directory(dir: &Path, blobs: &mut Blobs, children: &mut Vec<Directory>) -> Result<Directory> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io_error(dir, "cannot list the output directory"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(io_error(dir, "cannot list the output directory"))?;
    entries.sort();
    let mut out = Directory::default();
    for path in entries {
        let meta = path
            .symlink_metadata()
            .map_err(io_error(&path, "cannot stat the output"))?;
        let name = name_of(&path);
        if meta.file_type().is_symlink() {
            let target =
                std::fs::read_link(&path).map_err(io_error(&path, "cannot read the symlink"))?;
            out.symlinks.push(SymlinkNode {
                name,
                target: target.to_string_lossy().into_owned(),
                node_properties: None,
            });
        } else if meta.is_dir() {
            let sub = directory(&path, blobs, children)?;
            let digest = blobs.message(&sub);
            children.push(sub);
            out.directories.push(DirectoryNode {
                name,
                digest: Some(digest),
            });
        } else if meta.is_file() {
            out.files.push(FileNode {
                name,
                digest: Some(blobs.file(&path)?),
                is_executable: is_executable(&meta),
                node_properties: None,
            });
        } else {
            return Err(Error::Invalid(format!(
                "{}: an output that is neither a file, a directory nor a symlink",
                path.display()
            )));
        }
    }
    Ok(out)
}

/// The paths the command declares, relative to its working directory:
/// `output_paths`, or from clients older than REAPI 2.1 (whose fields are
/// deprecated), `output_files` and `output_directories`.
#[allow(deprecated)]
fn declared(command: &Command) -> Result<Vec<&str>> {
    let paths: Vec<&str> = if command.output_paths.is_empty() {
        command
            .output_files
            .iter()
            .chain(&command.output_directories)
            .map(String::as_str)
            .collect()
    } else {
        command.output_paths.iter().map(String::as_str).collect()
    };
    for path in &paths {
        if !Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(Error::Invalid(format!(
                "output path {path:?}: not a relative path of plain names"
            )));
        }
    }
    Ok(paths)
}

/// The directories in which the command's outputs go, which must exist
/// before it runs.
pub fn output_parents(command: &Command) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = declared(command)?
        .into_iter()
        .filter_map(|p| Path::new(p).parent().map(Path::to_owned))
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    dirs.sort();
    dirs.dedup();
    Ok(dirs)
}

impl Cas {
    /// Uploads the outputs that `command` declares under `workdir` (its
    /// working directory in the staged input root), and its stdout and
    /// stderr, and returns the result but for its exit code and metadata.
    /// Declared outputs that are missing are left out, as the
    /// protocol says; the client decides whether that is an error.
    pub async fn capture(
        &self,
        workdir: &Path,
        command: &Command,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    ) -> Result<ActionResult> {
        let mut blobs = Blobs::default();
        let mut result = ActionResult::default();
        for rel in declared(command)? {
            let path = workdir.join(rel);
            let Ok(meta) = path.symlink_metadata() else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path)
                    .map_err(io_error(&path, "cannot read the symlink"))?;
                result.output_symlinks.push(OutputSymlink {
                    path: rel.to_owned(),
                    target: target.to_string_lossy().into_owned(),
                    node_properties: None,
                });
            } else if meta.is_dir() {
                let mut children = Vec::new();
                let root = directory(&path, &mut blobs, &mut children)?;
                let root_digest = blobs.message(&root);
                let tree = Tree {
                    root: Some(root),
                    children,
                };
                result.output_directories.push(OutputDirectory {
                    path: rel.to_owned(),
                    tree_digest: Some(blobs.message(&tree)),
                    is_topologically_sorted: false,
                    root_directory_digest: Some(root_digest),
                });
            } else {
                result.output_files.push(OutputFile {
                    path: rel.to_owned(),
                    digest: Some(blobs.file(&path)?),
                    is_executable: is_executable(&meta),
                    contents: Vec::new(),
                    node_properties: None,
                });
            }
        }
        result.stdout_digest = Some(blobs.bytes(stdout));
        result.stderr_digest = Some(blobs.bytes(stderr));

        let digests = blobs.0.values().map(|(d, _)| d.clone()).collect::<Vec<_>>();
        let before = digests.len();
        self.upload(digests, |digest| match blobs.0.get(&display(digest)) {
            Some((_, Source::Bytes(data))) => Ok(data.clone()),
            Some((_, Source::File(path))) => {
                std::fs::read(path).map_err(io_error(path, "cannot read the output"))
            }
            None => Err(Error::Invalid(format!(
                "FindMissingBlobs named blob {}, which was not asked about ({before} were)",
                display(digest)
            ))),
        })
        .await?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_lists_entries_by_name_with_their_digests() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("b/c/f"), "x").unwrap();
        std::fs::write(dir.path().join("a"), "y").unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("l")).unwrap();
        let mut blobs = Blobs::default();
        let mut children = Vec::new();
        let root = directory(dir.path(), &mut blobs, &mut children).unwrap();
        assert_eq!(root.files.len(), 1);
        assert_eq!(root.files[0].name, "a");
        assert_eq!(root.files[0].digest, Some(digest_of(b"y")));
        assert_eq!(root.directories[0].name, "b");
        assert_eq!(root.symlinks[0].target, "a");
        assert_eq!(children.len(), 2, "b and b/c");
        let c = &children[0];
        assert_eq!(c.files[0].digest, Some(digest_of(b"x")));
        let (b_digest, _) = digest_of_message(&children[1]);
        assert_eq!(root.directories[0].digest, Some(b_digest));
    }

    #[test]
    #[allow(deprecated)]
    fn output_paths_stay_inside_the_working_directory() {
        let command = Command {
            output_paths: vec!["out/x".into(), "../escape".into()],
            ..Default::default()
        };
        let err = output_parents(&command).unwrap_err().to_string();
        assert!(err.contains("\"../escape\""), "{err}");
        let command = Command {
            output_files: vec!["a/b/f".into(), "a/b/g".into(), "top".into()],
            output_directories: vec!["d/tree".into()],
            ..Default::default()
        };
        assert_eq!(
            output_parents(&command).unwrap(),
            vec![PathBuf::from("a/b"), PathBuf::from("d")]
        );
    }
}
