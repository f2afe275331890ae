//! Test inputs built by code, shared by the crates' tests and the fuzz
//! seeds: tar streams (with headers that a tar builder would refuse) and ar
//! archives (.debs, with members that may lie about their size).

/// A GNU tar header of `kind`, `mode` and `size`, with no name yet.
pub fn tar_header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h
}

/// A tar header with `name` and `link` written raw, as a hostile archive
/// would have them (the builder refuses `..` and absolute names).
///
/// # Panics
/// If `name` or `link` do not fit the GNU header's 100 bytes.
pub fn raw_tar_header(kind: tar::EntryType, name: &[u8], link: &[u8], size: u64) -> tar::Header {
    let mut h = tar_header(kind, 0o644, size);
    let gnu = h.as_gnu_mut().expect("a GNU header");
    gnu.name[..name.len()].copy_from_slice(name);
    gnu.linkname[..link.len()].copy_from_slice(link);
    h.set_cksum();
    h
}

/// The tar stream that `build` writes.
///
/// # Panics
/// If writing to memory fails.
pub fn tar_of(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    build(&mut b);
    b.into_inner().expect("a tar in memory")
}

/// One ar member declaring `size`, whatever `data` really holds, padded to
/// an even length as ar requires.
///
/// # Panics
/// If `name` is longer than the header's 16 bytes.
pub fn ar_member(name: &str, size: u64, data: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "{name:<16}{:<12}{:<6}{:<6}{:<8}{size:<10}`\n",
        0, 0, 0, 100644
    )
    .into_bytes();
    assert_eq!(m.len(), 60, "ar member name {name:?} is too long");
    m.extend_from_slice(data);
    if data.len() % 2 == 1 {
        m.push(b'\n');
    }
    m
}

/// An ar archive of `members`, each made by [`ar_member`].
pub fn ar_of(members: &[Vec<u8>]) -> Vec<u8> {
    let mut d = b"!<arch>\n".to_vec();
    for m in members {
        d.extend_from_slice(m);
    }
    d
}

/// A .deb (an ar archive) of `(name, bytes)` members, each with its true size.
pub fn deb(members: &[(&str, &[u8])]) -> Vec<u8> {
    let members: Vec<Vec<u8>> = members
        .iter()
        .map(|(name, data)| ar_member(name, data.len() as u64, data))
        .collect();
    ar_of(&members)
}

/// A data.tar of `(path, kind, payload)`: a regular file's bytes, a
/// symlink's target, nothing for a directory.
pub fn data_tar(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
    tar_of(|b| {
        for (path, kind, payload) in entries {
            let mut h = tar_header(*kind, 0o755, 0);
            match kind {
                tar::EntryType::Symlink => b.append_link(&mut h, path, payload).unwrap(),
                tar::EntryType::Regular => {
                    h.set_size(payload.len() as u64);
                    h.set_cksum();
                    b.append_data(&mut h, path, payload.as_bytes()).unwrap()
                }
                _ => b.append_data(&mut h, path, &[][..]).unwrap(),
            }
        }
    })
}

/// A control.tar whose control file names `package` and `version`.
pub fn control_tar(package: &str, version: &str) -> Vec<u8> {
    let text = format!("Package: {package}\nVersion: {version}\nArchitecture: amd64\n");
    tar_of(|b| {
        let mut h = tar_header(tar::EntryType::Regular, 0o644, text.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, "./control", text.as_bytes()).unwrap();
    })
}

/// Writes `dir/name`: a .deb of `package` `version` whose control and data
/// tars are zstd-compressed.
pub fn write_deb(
    dir: &std::path::Path,
    name: &str,
    package: &str,
    version: &str,
    data: &[u8],
) -> std::path::PathBuf {
    let zst = |bytes: &[u8]| zstd::encode_all(bytes, 3).unwrap();
    let path = dir.join(name);
    std::fs::write(
        &path,
        deb(&[
            ("debian-binary", b"2.0\n"),
            ("control.tar.zst", &zst(&control_tar(package, version))),
            ("data.tar.zst", &zst(data)),
        ]),
    )
    .unwrap();
    path
}
