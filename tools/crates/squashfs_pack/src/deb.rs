//! Streams a .deb's `data.tar.{xz,zst,gz}` into the tree, without extracting
//! anything to disk.
//!
//! Kept verbatim: modes (with setuid/setgid/sticky bits), directory entries
//! and symlink targets, absolute ones included (the runtime root is mounted
//! as `/` later). Hard links become copies of their target's bytes.
//! Device nodes, fifos and sockets are refused: no runtime needs them, and an
//! image that holds them would give actions device access. The error names
//! the archive and the entry.
//!
//! Hostile archives fail with an error naming the .deb (and member) and the
//! problem: names with `..` or a leading `/`, hard links to anything but a
//! file earlier in the archive, a path given twice as different types (see
//! [`Tree::insert`]), truncated or lying ar headers (read by the small ar
//! reader here, which trusts no declared size), and data that expands past
//! the spec's `max_expanded_bytes` (a decompression bomb: every file goes to
//! the archive's spill file until the image is written, never to the tree on
//! disk).
//! Symlink targets are data: kept verbatim, never followed at pack time, so
//! links pointing outside the image or chains of links are harmless here.

use crate::spill::Spill;
use crate::strip;
use crate::tree::{clean_path, Content, Node, Tree};
use crate::Error;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

const AR_MAGIC: &[u8] = b"!<arch>\n";

/// The entries of one archive, read (possibly on another thread) before
/// they are added to the tree in spec order.
pub struct Archive {
    origin: String,
    entries: Vec<(String, Node)>,
}

impl Archive {
    /// Adds the entries to `tree`, in archive order.
    pub fn add_to(self, tree: &mut Tree) -> Result<(), Error> {
        for (path, node) in self.entries {
            tree.insert(&path, node, &self.origin)?;
        }
        Ok(())
    }
}

/// Adds the data of the .deb at `path` to `tree` under `prefix`, minus
/// `strip`; its data.tar may expand to at most `limit` bytes.
pub fn add_deb(
    tree: &mut Tree,
    path: &Path,
    prefix: &str,
    strip_patterns: &[String],
    limit: u64,
) -> Result<(), Error> {
    read_deb(path, prefix, strip_patterns, limit)?.add_to(tree)
}

/// Reads the data of the .deb at `path`, under `prefix`, minus `strip`; its
/// data.tar may expand to at most `limit` bytes.
pub fn read_deb(
    path: &Path,
    prefix: &str,
    strip_patterns: &[String],
    limit: u64,
) -> Result<Archive, Error> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    read_deb_from(file, &name, prefix, strip_patterns, limit)
}

/// Reads the data of a .deb from `reader`; `name` names it in errors.
pub fn read_deb_from(
    reader: impl Read,
    name: &str,
    prefix: &str,
    strip_patterns: &[String],
    limit: u64,
) -> Result<Archive, Error> {
    let (found, members) = visit_members(reader, name, |member, data| {
        if !member.starts_with("data.tar") {
            return Ok(None);
        }
        let stream = open_compressed(name, member, data)?;
        let origin = format!("{name}:{member}");
        read_tar(stream, prefix, strip_patterns, &origin, limit).map(Some)
    })?;
    found.ok_or_else(|| Error::Input {
        path: name.to_owned(),
        message: format!("no data.tar.* member (members: {})", members.join(", ")),
    })
}

/// The fields of a .deb's `control` file (`Package`, `Version`, ...), from
/// its control.tar.*; continuation lines are left out.
pub fn read_control(path: &Path) -> Result<BTreeMap<String, String>, Error> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    read_control_from(file, &name)
}

/// The control fields of a .deb read from `reader`; `name` names it in errors.
pub fn read_control_from(reader: impl Read, name: &str) -> Result<BTreeMap<String, String>, Error> {
    let bad = |message: String| Error::Input {
        path: name.to_owned(),
        message,
    };
    let (found, members) = visit_members(reader, name, |member, data| {
        if !member.starts_with("control.tar") {
            return Ok(None);
        }
        let stream = open_compressed(name, member, data)?;
        let mut archive = tar::Archive::new(decompress::Limited::new(stream, MAX_CONTROL));
        for entry in archive
            .entries()
            .map_err(|e| bad(format!("{member}: corrupt tar: {e}")))?
        {
            let mut entry = entry.map_err(|e| bad(format!("{member}: corrupt tar: {e}")))?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if clean_path(&raw).as_deref() != Ok("control") {
                continue;
            }
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .map_err(|e| bad(format!("{member}: control: {e}")))?;
            return Ok(Some(control_fields(&text)));
        }
        Err(bad(format!("{member} has no control file")))
    })?;
    found.ok_or_else(|| {
        bad(format!(
            "no control.tar.* member (members: {})",
            members.join(", ")
        ))
    })
}

/// A control.tar larger than this (decompressed) is refused.
const MAX_CONTROL: u64 = 64 << 20;

fn control_fields(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|line| !line.starts_with([' ', '\t']))
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// A member `data.tar.*`/`control.tar.*`, decompressed by its suffix.
fn open_compressed<'a>(
    name: &str,
    member: &str,
    data: &'a mut dyn Read,
) -> Result<Box<dyn Read + 'a>, Error> {
    let bad = |message: String| Error::Input {
        path: name.to_owned(),
        message,
    };
    if decompress::Format::from_suffix(member).is_none() {
        return Err(bad(format!(
            "{member} has unknown compression; supported: xz, zst, gz"
        )));
    }
    let (_, stream) = decompress::open(data).map_err(|e| bad(format!("{member}: {e}")))?;
    Ok(Box::new(stream))
}

/// Walks the ar members of the .deb `reader`, handing each one's name and
/// bytes to `visit` until it returns `Some`. Returns that, and the names of
/// the members before it.
fn visit_members<T>(
    mut reader: impl Read,
    name: &str,
    mut visit: impl FnMut(&str, &mut dyn Read) -> Result<Option<T>, Error>,
) -> Result<(Option<T>, Vec<String>), Error> {
    let bad = |message: String| Error::Input {
        path: name.to_owned(),
        message,
    };
    let mut magic = [0u8; 8];
    let n = read_up_to(&mut reader, &mut magic).map_err(|e| Error::io(name, e))?;
    if &magic[..n] != AR_MAGIC {
        return Err(bad(
            "not a .deb: it does not start with the ar magic '!<arch>'".into(),
        ));
    }
    // The ar format, read here rather than with the ar crate, which panics
    // or allocates whatever a header declares on GNU/BSD name tables that
    // .debs never use. A member header is 60 bytes: name (16), mtime (12),
    // uid (6), gid (6), mode (8), size (10, decimal), "`\n".
    let mut members = Vec::new();
    loop {
        let mut header = [0u8; 60];
        let n = read_up_to(&mut reader, &mut header).map_err(|e| Error::io(name, e))?;
        if n == 0 {
            return Ok((None, members));
        }
        let at = members.len() + 1;
        if n < header.len() {
            return Err(bad(format!(
                "truncated: the file ends inside the header of member {at}"
            )));
        }
        if &header[58..] != b"`\n" {
            return Err(bad(format!(
                "corrupt ar archive: the header of member {at} does not end with '`\\n'"
            )));
        }
        let raw = String::from_utf8_lossy(&header[..16]);
        let raw = raw.trim_end_matches(' ');
        let member = raw.strip_suffix('/').unwrap_or(raw).to_owned();
        let size = std::str::from_utf8(&header[48..58])
            .ok()
            .map(|s| s.trim_end_matches(' '))
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| {
                bad(format!(
                    "corrupt ar archive: member {member:?} has no decimal size: {:?}",
                    String::from_utf8_lossy(&header[48..58])
                ))
            })?;
        let mut data = Whole {
            inner: (&mut reader).take(size),
            left: size,
        };
        if let Some(found) = visit(&member, &mut data)? {
            return Ok((Some(found), members));
        }
        std::io::copy(&mut data, &mut std::io::sink())
            .map_err(|e| bad(format!("{member}: {e}")))?;
        if size % 2 == 1 {
            // Members are 2-aligned; a missing last padding byte is harmless.
            read_up_to(&mut reader, &mut [0u8; 1]).map_err(|e| Error::io(name, e))?;
        }
        members.push(member);
    }
}

/// An ar member's bytes, which must all be there: a reader that ends where
/// the file does would let a truncated .deb pass.
struct Whole<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Whole<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() || self.left == 0 {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "truncated: the file ends {} bytes before the member does",
                    self.left
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}/{path}"),
    }
}

/// Adds every entry of a tar stream; `origin` names it in errors.
pub fn add_tar(
    tree: &mut Tree,
    reader: impl Read,
    prefix: &str,
    strip_patterns: &[String],
    origin: &str,
    limit: u64,
) -> Result<(), Error> {
    read_tar(reader, prefix, strip_patterns, origin, limit)?.add_to(tree)
}

/// Reads every entry of a tar stream; `origin` names it in errors. The
/// stream (decompressed) may be at most `limit` bytes long: every file's
/// bytes go to a spill file until the image is written, so a decompression
/// bomb fails here, naming the archive and the limit, before it fills the
/// disk (nothing is ever extracted into a tree).
pub fn read_tar(
    reader: impl Read,
    prefix: &str,
    strip_patterns: &[String],
    origin: &str,
    limit: u64,
) -> Result<Archive, Error> {
    let bad = |message: String| Error::Input {
        path: origin.to_owned(),
        message,
    };
    let prefix = clean_path(prefix).map_err(|m| bad(format!("prefix {m}")))?;
    let mut archive = tar::Archive::new(decompress::Limited::new(reader, limit));
    let mut read = read_entries(&mut archive, &prefix, strip_patterns, &bad);
    let mut rest = archive.into_inner();
    if read.is_ok() {
        // Past the tar's end: the rest of the stream must decompress (and
        // be there) too, or the archive was cut short.
        if let Err(e) = std::io::copy(&mut rest, &mut std::io::sink()) {
            read = Err(bad(format!(
                "corrupt or truncated after the tar's end: {e}"
            )));
        }
    }
    if rest.exceeded() {
        return Err(bad(format!(
            "expands past the limit of {limit} bytes (the spec's max_expanded_bytes); \
             refusing it as a decompression bomb"
        )));
    }
    Ok(Archive {
        origin: origin.to_owned(),
        entries: read?,
    })
}

/// The entries of `archive`, under `prefix` (cleaned), minus `strip`.
fn read_entries<R: Read>(
    archive: &mut tar::Archive<decompress::Limited<R>>,
    prefix: &str,
    strip_patterns: &[String],
    bad: &dyn Fn(String) -> Error,
) -> Result<Vec<(String, Node)>, Error> {
    let mut entries: Vec<(String, Node)> = Vec::new();
    let mut files: std::collections::HashMap<String, Content> = std::collections::HashMap::new();
    let mut spill = Spill::new().map_err(|e| bad(format!("cannot make a spill file: {e}")))?;
    for entry in archive
        .entries()
        .map_err(|e| bad(format!("corrupt tar: {e}")))?
    {
        let mut entry = entry.map_err(|e| bad(format!("corrupt tar: {e}")))?;
        let raw = String::from_utf8(entry.path_bytes().into_owned()).map_err(|e| {
            bad(format!(
                "entry name is not UTF-8: {:?}",
                String::from_utf8_lossy(e.as_bytes())
            ))
        })?;
        let rel = clean_path(&raw).map_err(|m| bad(format!("entry {m}")))?;
        if !rel.is_empty() && strip::matches(strip_patterns, &rel) {
            continue;
        }
        let path = join(prefix, &rel);
        let header = entry.header();
        let mode = (header.mode().map_err(|e| bad(format!("{raw}: {e}")))? & 0o7777) as u16;
        let kind = header.entry_type();
        let node = match kind {
            tar::EntryType::Directory => Node::Dir { mode },
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                // To the spill file, not to memory: an archive's size is
                // bounded by max_expanded_bytes, and memory by nothing.
                let region = spill
                    .append(&mut entry)
                    .map_err(|e| bad(format!("{raw}: {e}")))?;
                Node::File {
                    mode,
                    content: Content::Spilled(region),
                }
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| bad(format!("{raw}: symlink without a target")))?;
                Node::Symlink {
                    target: target.into_owned(),
                }
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| bad(format!("{raw}: hard link without a target")))?;
                let target = clean_path(&String::from_utf8_lossy(&target))
                    .map_err(|m| bad(format!("{raw}: hard link to {m}")))?;
                match files.get(&join(prefix, &target)) {
                    Some(content) => Node::File { mode, content: content.clone() },
                    _ => return Err(bad(format!("{raw}: hard link to {target:?}, which is not a file earlier in the archive"))),
                }
            }
            other => {
                return Err(bad(format!(
                    "{raw}: {other:?} entries (device nodes, fifos) are not supported in images"
                )))
            }
        };
        if let Node::File { content, .. } = &node {
            files.insert(path.clone(), content.clone());
        }
        entries.push((path, node));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_fixtures::{tar_header as header, tar_of};

    const LIMIT: u64 = decompress::DEFAULT_LIMIT;

    #[test]
    fn keeps_modes_links_and_copies_hard_links() {
        let data = tar_of(|b| {
            b.append_data(
                &mut header(tar::EntryType::Directory, 0o755, 0),
                "./usr/bin/",
                &[][..],
            )
            .unwrap();
            b.append_data(
                &mut header(tar::EntryType::Regular, 0o4755, 3),
                "./usr/bin/su",
                &b"su!"[..],
            )
            .unwrap();
            let mut l = header(tar::EntryType::Symlink, 0o777, 0);
            b.append_link(&mut l, "./lib64/ld.so", "/lib/x86_64-linux-gnu/ld.so")
                .unwrap();
            let mut h = header(tar::EntryType::Link, 0o755, 0);
            b.append_link(&mut h, "./usr/bin/su2", "./usr/bin/su")
                .unwrap();
        });
        let mut tree = Tree::default();
        add_tar(&mut tree, &data[..], "root", &[], "t.deb", LIMIT).unwrap();
        assert!(matches!(
            tree.get("root/usr/bin/su").unwrap().node,
            Node::File { mode: 0o4755, .. }
        ));
        match &tree.get("root/lib64/ld.so").unwrap().node {
            Node::Symlink { target } => assert_eq!(target, b"/lib/x86_64-linux-gnu/ld.so"),
            other => panic!("{other:?}"),
        }
        match &tree.get("root/usr/bin/su2").unwrap().node {
            Node::File { content, .. } => assert_eq!(&content.read().unwrap()[..], b"su!"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hostile_entries_are_refused() {
        for (name, kind, want) in [
            ("../etc/passwd", tar::EntryType::Regular, "contains '..'"),
            ("/etc/passwd", tar::EntryType::Regular, "is absolute"),
            ("./dev/null", tar::EntryType::Char, "not supported"),
            ("./run/fifo", tar::EntryType::Fifo, "not supported"),
        ] {
            let data = tar_of(|b| {
                let mut h = header(kind, 0o644, 0);
                // Raw names: the builder refuses '..' and absolute paths itself.
                h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
                h.set_cksum();
                b.append(&h, &[][..]).unwrap();
            });
            let err = add_tar(&mut Tree::default(), &data[..], "", &[], "bad.deb", LIMIT)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("bad.deb: ") && err.contains(want),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn dangling_hard_link_is_refused() {
        let data = tar_of(|b| {
            let mut h = header(tar::EntryType::Link, 0o644, 0);
            b.append_link(&mut h, "./a", "./missing").unwrap();
        });
        let err = add_tar(&mut Tree::default(), &data[..], "", &[], "x.deb", LIMIT)
            .unwrap_err()
            .to_string();
        assert!(err.contains("hard link to \"missing\""), "{err}");
    }

    #[test]
    fn strip_and_long_names() {
        let long = format!("./usr/share/{}", "n".repeat(150)) + &format!("/{}", "m".repeat(150));
        let data = tar_of(|b| {
            b.append_data(
                &mut header(tar::EntryType::Regular, 0o644, 1),
                "./usr/share/doc/x",
                &b"x"[..],
            )
            .unwrap();
            b.append_data(
                &mut header(tar::EntryType::Regular, 0o644, 1),
                &long,
                &b"y"[..],
            )
            .unwrap();
        });
        let mut tree = Tree::default();
        add_tar(
            &mut tree,
            &data[..],
            "",
            &["usr/share/doc".into()],
            "x.deb",
            LIMIT,
        )
        .unwrap();
        assert!(tree.get("usr/share/doc/x").is_none());
        assert!(
            tree.get(long.trim_start_matches("./")).is_some(),
            "GNU long names are read"
        );
    }
}
