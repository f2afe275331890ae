//! Recognizes a Linux kernel image by its headers, so that a VM build fails
//! early on an empty file or on something else passed as a kernel.

/// The kinds of kernel image a VM can boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// x86 boot protocol image (`bzImage`, Ubuntu's `vmlinuz`): "HdrS" at 0x202.
    X86BzImage,
    /// arm64 `Image`: magic "ARM\x64" at 0x38 (also behind an EFI stub).
    Arm64Image,
    /// An uncompressed ELF `vmlinux`.
    Elf,
}

/// What `head` (at least the first 0x240 bytes of the file) is, or why it is
/// not a kernel.
pub fn identify(head: &[u8]) -> Result<Format, String> {
    if head.is_empty() {
        return Err("empty file, not a kernel image".into());
    }
    if head.len() >= 0x206 && &head[0x202..0x206] == b"HdrS" {
        return Ok(Format::X86BzImage);
    }
    if head.len() >= 0x3c && &head[0x38..0x3c] == b"ARM\x64" {
        return Ok(Format::Arm64Image);
    }
    if head.starts_with(b"\x7fELF") {
        return Ok(Format::Elf);
    }
    Err(format!(
        "not a kernel image: no x86 boot header (HdrS at 0x202), arm64 Image magic (at 0x38) or ELF header in its first {} bytes",
        head.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let mut bz = vec![0u8; 0x400];
        bz[0x202..0x206].copy_from_slice(b"HdrS");
        assert_eq!(identify(&bz), Ok(Format::X86BzImage));
        let mut arm = vec![0u8; 0x400];
        arm[..2].copy_from_slice(b"MZ");
        arm[0x38..0x3c].copy_from_slice(b"ARM\x64");
        assert_eq!(identify(&arm), Ok(Format::Arm64Image));
        assert_eq!(identify(b"\x7fELF\x02\x01\x01"), Ok(Format::Elf));
    }

    #[test]
    fn not_kernels() {
        assert!(identify(b"").unwrap_err().contains("empty"));
        assert!(identify(b"#!/bin/sh\necho hi\n")
            .unwrap_err()
            .contains("not a kernel image"));
        assert!(identify(&[0u8; 0x300]).is_err());
    }
}
