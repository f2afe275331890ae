//! Payloads embedded in an executable, the way rules_actiond's standalone
//! binaries carry them:
//!
//! - **ELF**: non-allocated sections named `<prefix><name>` (default prefix
//!   `.actiond.`, e.g. `.actiond.runtimes`), found through the section
//!   header table;
//! - **Mach-O**: the sections of one segment (default `__ACTIOND`, e.g.
//!   `__ACTIOND,__runtimes`), found through `LC_SEGMENT_64`.
//!
//! [`find`] reads only headers; [`extract`] writes a payload out safely
//! (see its module for how a cached file is trusted). No payload is an empty list, not an error;
//! a header pointing past the end of the file, or a fat Mach-O, is an error
//! that says so. [`add_elf_sections`] writes new ELF sections into an
//! existing executable without touching its program headers.

mod extract;

pub use extract::{extract, payload_sha256, ExtractError, Outcome};
use object::read::{Object, ObjectSection, ReadRef};

/// Section naming: the defaults are the seed's; brands can use their own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// ELF section name prefix.
    pub elf_prefix: String,
    /// Mach-O segment name.
    pub macho_segment: String,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            elf_prefix: ".actiond.".into(),
            macho_segment: "__ACTIOND".into(),
        }
    }
}

/// The reserved payload name under which [`add_elf_sections`] records the
/// other payloads' sha256s (`<name> <sha256hex>` lines), so that a start can
/// name the extracted file without reading the payload.
pub const DIGESTS: &str = "sha256";

/// One embedded payload: where its bytes are in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}

/// Errors that say what is wrong with the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not an executable this library reads: {0}")]
    Format(String),
    #[error("section {name}: {message}")]
    Section { name: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Extract(#[from] ExtractError),
}

/// Lowercase hex of a digest.
pub(crate) fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a standalone binary does at start: finds the payloads of the
/// executable at `exe` (reading only its headers and the digests section)
/// and extracts each one, or only the one named `only`, below `root`. A
/// payload without a recorded digest is hashed first. Returns (name, path,
/// outcome) per payload; none is an empty list.
pub fn extract_all(
    exe: &std::path::Path,
    root: &std::path::Path,
    names: &Names,
    only: Option<&str>,
) -> Result<Vec<(String, std::path::PathBuf, Outcome)>, Error> {
    let file = std::fs::File::open(exe).map_err(|source| Error::Io {
        path: exe.to_owned(),
        source,
    })?;
    let cache = object::ReadCache::new(file);
    let payloads = find(&cache, names)?;
    let recorded = recorded_digests(&cache, &payloads)?;
    let mut done = Vec::new();
    for p in payloads
        .iter()
        .filter(|p| p.name != DIGESTS && only.is_none_or(|n| n == p.name))
    {
        let digest = match recorded.get(&p.name) {
            Some(d) => d.clone(),
            None => payload_sha256(exe, p)?,
        };
        let (path, outcome) = extract(exe, root, p, &digest)?;
        done.push((p.name.clone(), path, outcome));
    }
    Ok(done)
}

/// Finds the payloads of `data` (an ELF or 64-bit Mach-O file).
pub fn find<'data, R: ReadRef<'data>>(data: R, names: &Names) -> Result<Vec<Payload>, Error> {
    let len = data
        .len()
        .map_err(|_| Error::Format("cannot read the file's length".into()))?;
    let kind = object::FileKind::parse(data).map_err(|e| Error::Format(e.to_string()))?;
    match kind {
        object::FileKind::MachOFat32 | object::FileKind::MachOFat64 => {
            return Err(Error::Format(
                "a fat (universal) Mach-O: extract one architecture's slice first".into(),
            ))
        }
        object::FileKind::Elf32
        | object::FileKind::Elf64
        | object::FileKind::MachO32
        | object::FileKind::MachO64 => {}
        other => return Err(Error::Format(format!("{other:?} files carry no payloads"))),
    }
    let file = object::File::parse(data).map_err(|e| Error::Format(e.to_string()))?;
    let macho = matches!(kind, object::FileKind::MachO32 | object::FileKind::MachO64);
    let mut payloads = Vec::new();
    for section in file.sections() {
        let raw = section.name().map_err(|e| Error::Format(e.to_string()))?;
        let name = if macho {
            match section.segment_name() {
                Ok(Some(seg)) if seg == names.macho_segment => {
                    raw.trim_start_matches("__").to_owned()
                }
                _ => continue,
            }
        } else {
            match raw.strip_prefix(names.elf_prefix.as_str()) {
                Some(rest) if !rest.is_empty() => rest.to_owned(),
                _ => continue,
            }
        };
        let bad = |message: String| Error::Section {
            name: raw.to_owned(),
            message,
        };
        let (offset, size) = section
            .file_range()
            .ok_or_else(|| bad("has no bytes in the file".into()))?;
        let end = offset
            .checked_add(size)
            .ok_or_else(|| bad(format!("offset {offset} + size {size} overflows")))?;
        if end > len {
            return Err(bad(format!(
                "ends at byte {end}, past the end of the file ({len} bytes)"
            )));
        }
        payloads.push(Payload { name, offset, size });
    }
    payloads.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = payloads.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(Error::Section {
            name: pair[0].name.clone(),
            message: "appears twice".into(),
        });
    }
    Ok(payloads)
}

/// The sha256s recorded in the [`DIGESTS`] payload of `data`, if it has one.
pub fn recorded_digests<'data, R: ReadRef<'data>>(
    data: R,
    payloads: &[Payload],
) -> Result<std::collections::BTreeMap<String, String>, Error> {
    let mut out = std::collections::BTreeMap::new();
    let Some(p) = payloads.iter().find(|p| p.name == DIGESTS) else {
        return Ok(out);
    };
    let bad = |message: String| Error::Section {
        name: DIGESTS.into(),
        message,
    };
    let bytes = data
        .read_bytes_at(p.offset, p.size)
        .map_err(|_| bad("cannot be read".into()))?;
    let text = std::str::from_utf8(bytes).map_err(|_| bad("is not text".into()))?;
    for line in text.lines() {
        let (name, digest) = line
            .split_once(' ')
            .filter(|(_, d)| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| bad(format!("bad line {line:?}")))?;
        out.insert(name.to_owned(), digest.to_owned());
    }
    Ok(out)
}

/// The [`DIGESTS`] payload's text for `sections`: `<name> <sha256hex>` lines.
pub fn digests_text(sections: &[(String, Vec<u8>)]) -> String {
    use sha2::Digest;
    sections
        .iter()
        .map(|(name, bytes)| format!("{name} {}\n", hex(&sha2::Sha256::digest(bytes))))
        .collect()
}

/// The largest section alignment [`add_elf_sections`] accepts (real
/// programs' sections ask for a page at most).
pub const MAX_SECTION_ALIGN: u64 = 1 << 20;

/// Returns `elf` with a non-allocated `SHT_PROGBITS` section per `(name,
/// bytes)`, named `<prefix><name>`, plus `<prefix>sha256` recording their
/// digests. Program headers and loaded sections stay where they are, so the
/// program still runs.
pub fn add_elf_sections(
    elf: &[u8],
    sections: &[(String, Vec<u8>)],
    names: &Names,
) -> Result<Vec<u8>, Error> {
    if sections.iter().any(|(n, _)| n == DIGESTS) {
        return Err(Error::Section {
            name: DIGESTS.into(),
            message: "is reserved for the digests".into(),
        });
    }
    let (elf, opaque) = aarch64_attributes_as_data(elf)?;
    let mut builder = object::build::elf::Builder::read(elf.as_slice())
        .map_err(|e| Error::Format(e.to_string()))?;
    for section in builder.sections.iter_mut() {
        // object's writer aligns with `(offset + align - 1) & !(align - 1)`:
        // 0 (which ELF reads as 1) would overflow, anything but a power of
        // two would misplace the section, and a huge one would make it
        // reserve terabytes of output.
        match section.sh_addralign {
            0 => section.sh_addralign = 1,
            a if a.is_power_of_two() && a <= MAX_SECTION_ALIGN => {}
            a => {
                return Err(Error::Section {
                    name: String::from_utf8_lossy(section.name.as_slice()).into_owned(),
                    message: format!(
                        "alignment {a} is not a power of two up to {MAX_SECTION_ALIGN}"
                    ),
                })
            }
        }
        if section.sh_type == object::elf::SHT_PROGBITS
            && opaque
                .iter()
                .any(|n| n.as_slice() == section.name.as_slice())
        {
            section.sh_type = object::elf::SHT_AARCH64_ATTRIBUTES;
        }
    }
    let mut all = sections.to_vec();
    all.push((DIGESTS.to_owned(), digests_text(sections).into_bytes()));
    for (name, bytes) in &all {
        let full = format!("{}{name}", names.elf_prefix);
        if builder
            .sections
            .iter()
            .any(|s| s.name.as_slice() == full.as_bytes())
        {
            return Err(Error::Section {
                name: full,
                message: "already exists".into(),
            });
        }
        let section = builder.sections.add();
        section.name = full.into_bytes().into();
        section.sh_type = object::elf::SHT_PROGBITS;
        section.sh_flags = object::elf::SectionFlags(0);
        section.sh_addralign = 1;
        section.data = object::build::elf::SectionData::Data(bytes.clone().into());
    }
    let mut out = Vec::new();
    builder
        .write(&mut out)
        .map_err(|e| Error::Format(e.to_string()))?;
    Ok(out)
}

/// object 0.40 reads an AArch64 attributes section (`.ARM.attributes`,
/// `SHT_AARCH64_ATTRIBUTES`) in the Arm format, but AArch64 build attributes
/// have their own ("aeabi_feature_and_bits" subsections, which gcc 16 and
/// binutils write into every aarch64 object), so reading any such program
/// fails. Returns a copy of `elf` where those sections are `SHT_PROGBITS`,
/// which the builder copies verbatim, and their names, whose type is to be
/// restored before writing.
fn aarch64_attributes_as_data(elf: &[u8]) -> Result<(Vec<u8>, Vec<Vec<u8>>), Error> {
    use object::read::elf::{FileHeader, SectionHeader};
    let mut copy = elf.to_vec();
    let mut names = Vec::new();
    let Ok(header) = object::elf::FileHeader64::<object::Endianness>::parse(elf) else {
        return Ok((copy, names)); // not a 64-bit ELF: nothing to do here
    };
    let format = |e: object::read::Error| Error::Format(e.to_string());
    let endian = header.endian().map_err(format)?;
    if header.e_machine(endian) != object::elf::EM_AARCH64 {
        return Ok((copy, names));
    }
    let table = header.sections(endian, elf).map_err(format)?;
    let shoff = header.e_shoff(endian) as usize;
    let shentsize = usize::from(header.e_shentsize(endian));
    for (index, section) in table.enumerate() {
        if section.sh_type(endian) != object::elf::SHT_AARCH64_ATTRIBUTES {
            continue;
        }
        names.push(
            table
                .section_name(endian, section)
                .map_err(format)?
                .to_vec(),
        );
        // sh_type is the second 32-bit field of a section header.
        let at = shoff + index.0 * shentsize + 4;
        let progbits = if object::Endian::is_little_endian(endian) {
            object::elf::SHT_PROGBITS.0.to_le_bytes()
        } else {
            object::elf::SHT_PROGBITS.0.to_be_bytes()
        };
        copy[at..at + 4].copy_from_slice(&progbits);
    }
    Ok((copy, names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::write::{Object as WriteObject, StandardSection};
    use object::{Architecture, BinaryFormat, Endianness, SectionKind};

    /// An ELF or Mach-O object made by object's writer, with the given sections.
    fn object_file(format: BinaryFormat, sections: &[(&str, &str, &[u8])]) -> Vec<u8> {
        let mut obj = WriteObject::new(format, Architecture::X86_64, Endianness::Little);
        let text = obj.section_id(StandardSection::Text);
        obj.append_section_data(text, &[0xc3], 1);
        for (segment, name, data) in sections {
            let id = obj.add_section(
                segment.as_bytes().to_vec(),
                name.as_bytes().to_vec(),
                SectionKind::Other,
            );
            obj.append_section_data(id, data, 1);
        }
        obj.write().unwrap()
    }

    fn found(data: &[u8]) -> Vec<(String, Vec<u8>)> {
        find(data, &Names::default())
            .unwrap()
            .into_iter()
            .map(|p| {
                (
                    p.name,
                    data[p.offset as usize..(p.offset + p.size) as usize].to_vec(),
                )
            })
            .collect()
    }

    #[test]
    fn elf_sections() {
        let data = object_file(
            BinaryFormat::Elf,
            &[
                ("", ".actiond.runtimes", b"image"),
                ("", ".actiond.kernel", b"vmlinuz"),
                ("", ".comment", b"x"),
            ],
        );
        assert_eq!(
            found(&data),
            [
                ("kernel".into(), b"vmlinuz".to_vec()),
                ("runtimes".into(), b"image".to_vec())
            ]
        );
    }

    /// The `.ARM.attributes` that gcc 16 writes into aarch64 objects: AArch64
    /// build attributes (version 'A', "aeabi_feature_and_bits", BTI/PAC/GCS 0).
    const AARCH64_ATTRIBUTES: &[u8] = b"A\x23\0\0\0aeabi_feature_and_bits\0\x01\0\0\0\x01\0\x02\0";

    #[test]
    fn elf_sections_of_an_aarch64_program_with_build_attributes() {
        let mut obj =
            WriteObject::new(BinaryFormat::Elf, Architecture::Aarch64, Endianness::Little);
        let text = obj.section_id(StandardSection::Text);
        obj.append_section_data(text, &[0xc0, 0x03, 0x5f, 0xd6], 4);
        let attrs = obj.add_section(Vec::new(), b".ARM.attributes".to_vec(), SectionKind::Other);
        obj.section_mut(attrs).flags = object::SectionFlags::Elf {
            sh_type: object::elf::SHT_AARCH64_ATTRIBUTES,
            sh_flags: object::elf::SectionFlags(0),
        };
        obj.append_section_data(attrs, AARCH64_ATTRIBUTES, 1);
        let data = obj.write().unwrap();
        // object itself cannot read these attributes.
        assert!(object::build::elf::Builder::read(&data[..]).is_err());

        let names = Names::default();
        let out =
            add_elf_sections(&data, &[("runtimes".into(), b"image".to_vec())], &names).unwrap();
        assert_eq!(
            find(&out[..], &names).unwrap()[0].name,
            "runtimes",
            "the payload was added"
        );
        // The attributes section keeps its type and bytes.
        let file = object::read::elf::ElfFile64::<Endianness>::parse(&out[..]).unwrap();
        let section = file.section_by_name(".ARM.attributes").unwrap();
        assert_eq!(
            section.elf_section_header().sh_type.get(Endianness::Little),
            object::elf::SHT_AARCH64_ATTRIBUTES
        );
        assert_eq!(section.data().unwrap(), AARCH64_ATTRIBUTES);
    }

    #[test]
    fn macho_segment() {
        let data = object_file(
            BinaryFormat::MachO,
            &[
                ("__ACTIOND", "__runtimes", b"image"),
                ("__ACTIOND", "__initramfs", b"cpio"),
                ("__DATA", "__runtimes", b"no"),
            ],
        );
        assert_eq!(
            found(&data),
            [
                ("initramfs".into(), b"cpio".to_vec()),
                ("runtimes".into(), b"image".to_vec())
            ]
        );
    }

    #[test]
    fn none_is_empty_not_an_error() {
        assert!(found(&object_file(BinaryFormat::Elf, &[])).is_empty());
        assert!(found(&object_file(BinaryFormat::MachO, &[])).is_empty());
    }

    #[test]
    fn custom_names() {
        let data = object_file(BinaryFormat::Elf, &[("", ".brand.runtimes", b"image")]);
        let names = Names {
            elf_prefix: ".brand.".into(),
            ..Names::default()
        };
        assert_eq!(find(&data[..], &names).unwrap()[0].name, "runtimes");
        assert!(found(&data).is_empty());
    }

    #[test]
    fn hostile_headers_are_errors_not_panics() {
        let data = object_file(BinaryFormat::Elf, &[("", ".actiond.runtimes", b"image")]);
        // Every truncation of the file: an error or a (shorter) result, never a panic.
        for cut in 0..data.len() {
            let _ = find(&data[..cut], &Names::default());
        }
        // A section whose size runs past the end of the file.
        let payload = find(&data[..], &Names::default()).unwrap().remove(0);
        let mut bad = data.clone();
        let file = object::read::elf::ElfFile64::<Endianness>::parse(&data[..]).unwrap();
        let shoff = file.elf_header().e_shoff.get(Endianness::Little) as usize;
        let shentsize = file.elf_header().e_shentsize.get(Endianness::Little) as usize;
        for i in 0..file.elf_header().e_shnum.get(Endianness::Little) as usize {
            let sh = shoff + i * shentsize;
            let off = u64::from_le_bytes(bad[sh + 24..sh + 32].try_into().unwrap());
            if off == payload.offset {
                bad[sh + 32..sh + 40].copy_from_slice(&u64::MAX.to_le_bytes());
            }
        }
        let err = find(&bad[..], &Names::default()).unwrap_err().to_string();
        assert!(
            err.contains("overflows")
                || err.contains("past the end")
                || err.contains("not an executable"),
            "{err}"
        );
        // Not an executable at all.
        assert!(find(&b"#!/bin/sh\n"[..], &Names::default()).is_err());
    }

    /// The section header of the section named `name` in an ELF64 `data`:
    /// where it starts in the file.
    fn elf_section_header(data: &[u8], name: &str) -> usize {
        let file = object::read::elf::ElfFile64::<Endianness>::parse(data).unwrap();
        let shoff = file.elf_header().e_shoff.get(Endianness::Little) as usize;
        let shentsize = file.elf_header().e_shentsize.get(Endianness::Little) as usize;
        let index = file.section_by_name(name).unwrap().index().0;
        shoff + index * shentsize
    }

    #[test]
    fn elf_section_offsets_past_the_end_or_overflowing_are_errors() {
        let data = object_file(BinaryFormat::Elf, &[("", ".actiond.runtimes", b"image")]);
        let sh = elf_section_header(&data, ".actiond.runtimes");
        for (offset, size, want) in [
            // sh_offset past EOF.
            (data.len() as u64 + 10, 5, "past the end"),
            // sh_offset + sh_size overflowing u64.
            (u64::MAX - 2, 5, "overflows"),
            // In the file, but running past its end.
            (0, data.len() as u64 + 1, "past the end"),
        ] {
            let mut bad = data.clone();
            bad[sh + 24..sh + 32].copy_from_slice(&offset.to_le_bytes());
            bad[sh + 32..sh + 40].copy_from_slice(&size.to_le_bytes());
            let err = find(&bad[..], &Names::default()).unwrap_err().to_string();
            assert!(
                err.contains(".actiond.runtimes") && err.contains(want),
                "{offset} {size}: {err}"
            );
        }
    }

    #[test]
    fn macho_section_past_the_end_is_an_error() {
        let data = object_file(
            BinaryFormat::MachO,
            &[("__ACTIOND", "__runtimes", b"image")],
        );
        // section_64: sectname[16] segname[16] addr size(u64 @40) offset(u32 @48).
        let at = data
            .windows(25)
            .position(|w| w == b"__runtimes\0\0\0\0\0\0__ACTIOND")
            .unwrap();
        for (offset, size) in [(data.len() as u32 + 100, 5u64), (0, u64::MAX)] {
            let mut bad = data.clone();
            bad[at + 40..at + 48].copy_from_slice(&size.to_le_bytes());
            bad[at + 48..at + 52].copy_from_slice(&offset.to_le_bytes());
            let err = find(&bad[..], &Names::default()).unwrap_err().to_string();
            assert!(
                err.contains("past the end")
                    || err.contains("overflows")
                    || err.contains("not an executable"),
                "{offset} {size}: {err}"
            );
        }
    }

    /// A 64-bit Mach-O executable with one `LC_SEGMENT_64` named `segment`
    /// that declares `nsects` sections (none of which follow).
    fn macho_with_segment(segment: &[u8], nsects: u32) -> Vec<u8> {
        let le = |v: u32| v.to_le_bytes();
        let mut b = Vec::new();
        // mach_header_64: magic, x86_64, subtype, MH_EXECUTE, 1 command of 72 bytes.
        for v in [0xfeed_facf, 0x0100_0007, 3, 2, 1, 72, 0, 0] {
            b.extend_from_slice(&le(v));
        }
        // segment_command_64: LC_SEGMENT_64, 72 bytes, name, 4 u64 zeros, prots, nsects, flags.
        b.extend_from_slice(&le(0x19));
        b.extend_from_slice(&le(72));
        let mut name = [0u8; 16];
        name[..segment.len()].copy_from_slice(segment);
        b.extend_from_slice(&name);
        b.extend_from_slice(&[0; 32]);
        for v in [0, 0, nsects, 0] {
            b.extend_from_slice(&le(v));
        }
        b
    }

    #[test]
    fn macho_segment_with_no_sections_is_no_payload() {
        let data = macho_with_segment(b"__ACTIOND", 0);
        assert_eq!(find(&data[..], &Names::default()).unwrap(), []);
        // Sections declared but missing from the command: an error.
        let data = macho_with_segment(b"__ACTIOND", 3);
        let err = find(&data[..], &Names::default()).unwrap_err().to_string();
        assert!(err.starts_with("not an executable"), "{err}");
    }

    #[test]
    fn fat_macho_64_is_refused() {
        let mut fat = vec![0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 1];
        fat.extend_from_slice(&[0; 64]);
        let err = find(&fat[..], &Names::default()).unwrap_err().to_string();
        assert!(err.contains("fat"), "{err}");
    }

    #[test]
    fn alignments_object_cannot_write_are_refused() {
        let elf = object_file(BinaryFormat::Elf, &[("", ".data.x", b"abcd")]);
        let sh = elf_section_header(&elf, ".data.x");
        let add = |bytes: &[u8]| {
            add_elf_sections(bytes, &[("x".into(), b"hi".to_vec())], &Names::default())
        };
        // 0 means "no alignment": accepted, as 1.
        let mut zero = elf.clone();
        zero[sh + 48..sh + 56].copy_from_slice(&0u64.to_le_bytes());
        assert!(!found(&add(&zero).unwrap()).is_empty());
        for align in [3u64, 1 << 40] {
            let mut bad = elf.clone();
            bad[sh + 48..sh + 56].copy_from_slice(&align.to_le_bytes());
            let err = add(&bad).unwrap_err().to_string();
            assert!(
                err.contains(".data.x") && err.contains(&format!("alignment {align}")),
                "{err}"
            );
        }
    }

    /// Fuzz crash (tools/fuzz/regressions/payload/crash-align-zero.elf): a
    /// section with sh_addralign 0 made object's writer overflow.
    const CRASH_ALIGN_ZERO: &[u8] = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\xb7\x00\x01\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x01\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00@\x00\x07\x00\x06\x00\xc3\xc3\xc3\xc3\xc3\
            \xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3payload\x20bytesruntimes\x206b4e03423667dbb7\
            3b6e15454f0eb1abd4597f9a1b078e3f5b5a6bc7a8b1c2d3\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00.text\x00.action\
            d.runtimes\x00.shstrtab\x00.strtab\x00.symtab\x00.actiond.sha624\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\
            \x00\x01\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00@\
            \x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x01\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00P\x00\x00\
            \x00\x00\x00\x00\x00\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x003\x00\x00\x00\x01\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00]\x00\x00\x00\x00\
            \x00\x00\x00J\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00+\x00\x00\x00\x02\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xa8\x00\x00\x00\x00\x00\x00\
            \x00\x18\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x01\x00\x00\x00\x08\x00\x00\x00\x00\
            \x00\x00\x00\x18\x00\x00\x00\x00\x00\x00\x00#\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x00\x01\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x19\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc1\x00\x00\x00\x00\x00\x00\x00C\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00";

    /// Fuzz crash (tools/fuzz/regressions/payload/crash-huge-align.elf): a
    /// huge sh_addralign made object's writer reserve 2 TiB.
    const CRASH_HUGE_ALIGN: &[u8] = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\xb7\x00\x01\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x01\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00@\x00\x07\x00\x06\x00\xc3\xc3\xc3\xc3\xc3\
            \xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3payload\x20bytesruntimes\x206b4e03423667dbb7\
            3b6e15454f0eb1abd4597f9a1b078\x00\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00@\x00\
            \x07\x00\x06\x00\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3\xc3payload\
            \x20bytesruntimes\x206b4e03423667dbb73b6e15454f0eb1abd4597f9a1b078e3f5b5a6b\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x01\x00\x00\x00\x01\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00@\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07\x00\
            \x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            P\x00\x00\x00\x00\x00\x00\x00\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00P\x00\x00\x00\x00\x00\x00\x00\
            \x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00]\x00\
            \x00\x00\x00\x00\x00\x00J\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00+\x00\x00\x00\x02\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xa8\x00\x00\x00\
            \x00\x00\x00\x00\x18\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x01\x00\x00\x00\x08\x00\
            \x00\x00\x00\x00\x00\x00\x18\x00\x00\x00\x00\x00\x00\x00#\x00\x00\x00\x03\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\
            \x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc1\x00\x00\x00\x00\x00\x00\x00\
            C\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

    #[test]
    fn fuzz_crashes_of_add_elf_sections() {
        let sections = [("x".to_string(), b"hi".to_vec())];
        let names = Names::default();
        // Zero alignment now means 1, as in ELF.
        let out = add_elf_sections(CRASH_ALIGN_ZERO, &sections, &names).unwrap();
        assert!(find(&out[..], &names)
            .unwrap()
            .iter()
            .any(|p| p.name == "x"));
        let err = add_elf_sections(CRASH_HUGE_ALIGN, &sections, &names)
            .unwrap_err()
            .to_string();
        assert!(err.contains("alignment"), "{err}");
    }

    #[test]
    fn fat_macho_is_refused() {
        let mut fat = vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 1];
        fat.extend_from_slice(&[0; 64]);
        let err = find(&fat[..], &Names::default()).unwrap_err().to_string();
        assert!(err.contains("fat"), "{err}");
    }

    #[test]
    fn added_sections_are_found_and_duplicates_refused() {
        let elf = object_file(BinaryFormat::Elf, &[]);
        let sections = [("runtimes".to_string(), b"image bytes".to_vec())];
        let out = add_elf_sections(&elf, &sections, &Names::default()).unwrap();
        let digests = digests_text(&sections);
        assert_eq!(
            found(&out),
            [
                ("runtimes".into(), b"image bytes".to_vec()),
                (DIGESTS.into(), digests.clone().into_bytes())
            ]
        );
        let payloads = find(&out[..], &Names::default()).unwrap();
        let recorded = recorded_digests(&out[..], &payloads).unwrap();
        assert_eq!(digests, format!("runtimes {}\n", recorded["runtimes"]));
        let err = add_elf_sections(
            &out,
            &[("runtimes".into(), b"again".to_vec())],
            &Names::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("already exists"));
        let err =
            add_elf_sections(&elf, &[(DIGESTS.into(), vec![])], &Names::default()).unwrap_err();
        assert!(err.to_string().contains("reserved"));
    }
}
