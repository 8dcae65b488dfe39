//! The ELF file header and program headers, read by hand: they are all the
//! dynamic loader needs to map a file, so they are all the loader's
//! pre-flight reads (two small reads at known offsets, no parser state),
//! and the offline reader starts from the same function.
//!
//! Hand-written rather than through `object`: the pre-flight must work from
//! two `pread`s of a file that may be truncated anywhere, and report each
//! refusal as a typed error; the whole thing is a few fixed-offset integer
//! reads, each bounds-checked by `slice::get`.

use std::borrow::Cow;
use std::fs::File;
use std::os::unix::fs::{FileExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

use crate::limits::{MAX_PROGRAM_HEADERS, MAX_READABLE_BYTES, MAX_SEGMENTS};
use crate::regions::Regions;
use crate::symbols::{SymbolTables, MAX_SECTIONS, SHDR_SIZE};
use crate::Error;

/// Size of an ELF64 file header.
pub const EHDR_SIZE: usize = 64;
/// Size of an ELF64 program header.
pub const PHDR_SIZE: usize = 56;

/// `p_type` of a loadable segment.
pub const PT_LOAD: u32 = 1;
/// `p_type` of the dynamic section's segment.
pub const PT_DYNAMIC: u32 = 2;
/// `p_type` of the range made read-only after relocation.
pub const PT_GNU_RELRO: u32 = 0x6474_e552;
/// Segment flag: executable.
pub const PF_X: u32 = 1;
/// Segment flag: writable.
pub const PF_W: u32 = 2;
/// Segment flag: readable.
pub const PF_R: u32 = 4;

/// `e_type` of an executable.
pub const ET_EXEC: u16 = 2;
/// `e_type` of a shared object (also position-independent executables).
pub const ET_DYN: u16 = 3;

const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const ELFDATA2MSB: u8 = 2;
const EV_CURRENT: u8 = 1;
const ELFOSABI_SYSV: u8 = 0;
const ELFOSABI_GNU: u8 = 3;
const PN_XNUM: u16 = 0xffff;

/// This machine's `EI_DATA`.
const HOST_DATA: u8 = if cfg!(target_endian = "little") {
    ELFDATA2LSB
} else {
    ELFDATA2MSB
};

/// This machine's `e_machine`, where this crate knows it (`EM_X86_64`,
/// `EM_AARCH64`); elsewhere the machine is left to the dynamic loader.
pub const HOST_MACHINE: Option<u16> = if cfg!(target_arch = "x86_64") {
    Some(62)
} else if cfg!(target_arch = "aarch64") {
    Some(183)
} else {
    None
};

/// One program header, as in the file (`Elf64_Phdr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgramHeader {
    /// `p_type` ([`PT_LOAD`], [`PT_GNU_RELRO`]...).
    pub kind: u32,
    /// `p_flags` ([`PF_R`], [`PF_W`], [`PF_X`]).
    pub flags: u32,
    /// `p_offset`: where the segment's bytes start in the file.
    pub offset: u64,
    /// `p_vaddr`: its link-time address.
    pub vaddr: u64,
    /// `p_filesz`: its bytes in the file.
    pub filesz: u64,
    /// `p_memsz`: its bytes in memory (the rest zero-filled).
    pub memsz: u64,
}

impl ProgramHeader {
    fn kind_name(&self) -> &'static str {
        match self.kind {
            PT_LOAD => "LOAD",
            PT_DYNAMIC => "DYNAMIC",
            PT_GNU_RELRO => "GNU_RELRO",
            3 => "INTERP",
            4 => "NOTE",
            6 => "PHDR",
            7 => "TLS",
            _ => "other",
        }
    }
}

/// What kind of ELF file a caller requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A shared object (`ET_DYN`): a library to load or inspect.
    SharedObject,
    /// A shared object or an executable: a consumer binary, read for its
    /// recorded views only.
    Binary,
}

impl Expect {
    fn accepts(self, e_type: u16) -> bool {
        match self {
            Expect::SharedObject => e_type == ET_DYN,
            Expect::Binary => e_type == ET_DYN || e_type == ET_EXEC,
        }
    }
    fn describe(self) -> &'static str {
        match self {
            Expect::SharedObject => "a shared library",
            Expect::Binary => "a shared library or an executable",
        }
    }
}

/// The checked ELF and program headers of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headers {
    /// `e_type` ([`ET_DYN`] or [`ET_EXEC`]).
    pub e_type: u16,
    /// Every program header, in file order.
    pub program_headers: Vec<ProgramHeader>,
    /// The file's length in bytes.
    pub len: u64,
    /// Where its dynamic symbol tables are, from its section headers
    /// ([`SymbolTables::from_section_headers`]); `None` without them.
    pub symbols: Option<SymbolTables>,
}

impl Headers {
    /// Reads and checks the headers of a file of `len` bytes through
    /// `read(offset, len)` (which returns exactly those bytes, or fails:
    /// borrowed where the reader already holds them, as the pre-flight
    /// holds the head of the file and an image the whole of it).
    ///
    /// Checks, in this order: the ELF magic; the class, byte order, OS ABI
    /// and machine against this machine's; the ELF version; the file type
    /// against `expect`; the size, count and place of the program headers;
    /// that every segment's bytes lie inside the file; that loadable
    /// segments are at least one, at most [`MAX_SEGMENTS`], in ascending
    /// address order without overlap, each no larger in the file than in
    /// memory; that the readable bytes ([`Regions`]) stay under
    /// [`MAX_READABLE_BYTES`]; that the section header table, if any, lies
    /// inside the file. Then reads the section header table (64-byte
    /// headers, at most [`MAX_SECTIONS`]) for where the dynamic symbol
    /// tables are ([`Headers::symbols`]).
    ///
    /// # Errors
    ///
    /// [`Error::NotElf`], [`Error::Truncated`], [`Error::WrongTarget`],
    /// [`Error::WrongType`], [`Error::Malformed`], [`Error::TooLarge`]; and
    /// whatever `read` returns.
    pub fn parse<'a>(
        path: &Path,
        len: u64,
        expect: Expect,
        mut read: impl FnMut(u64, usize) -> Result<Cow<'a, [u8]>, Error>,
    ) -> Result<Headers, Error> {
        let p = || path.to_path_buf();
        let head = usize::try_from(len.min(EHDR_SIZE as u64)).unwrap_or(EHDR_SIZE);
        let ehdr = read(0, head)?;
        let ehdr = &*ehdr;
        if !ehdr.starts_with(b"\x7fELF") {
            return Err(Error::NotElf { path: p() });
        }
        if head < EHDR_SIZE {
            return Err(Error::Truncated {
                path: p(),
                what: "the ELF header".into(),
                end: EHDR_SIZE as u64,
                len,
            });
        }
        let f = Fields { bytes: ehdr };
        let target = |property, found: u8, expected: u8| -> Result<(), Error> {
            if found == expected {
                Ok(())
            } else {
                Err(Error::WrongTarget {
                    path: p(),
                    property,
                    found: found.into(),
                    expected: expected.into(),
                })
            }
        };
        target("class", f.u8(4), ELFCLASS64)?;
        target("byte order", f.u8(5), HOST_DATA)?;
        let osabi = f.u8(7);
        if osabi != ELFOSABI_GNU {
            target("OS ABI", osabi, ELFOSABI_SYSV)?;
        }
        if f.u8(6) != EV_CURRENT || f.u32(20) != u32::from(EV_CURRENT) {
            return Err(malformed(path, "not ELF version 1"));
        }
        if let Some(machine) = HOST_MACHINE {
            let found = f.u16(18);
            if found != machine {
                return Err(Error::WrongTarget {
                    path: p(),
                    property: "machine",
                    found: found.into(),
                    expected: machine.into(),
                });
            }
        }
        let e_type = f.u16(16);
        if !expect.accepts(e_type) {
            return Err(Error::WrongType {
                path: p(),
                found: e_type,
                expected: expect.describe(),
            });
        }
        let (phoff, phentsize, phnum) = (f.u64(32), f.u16(54), f.u16(56));
        let (shoff, shentsize, shnum) = (f.u64(40), f.u16(58), f.u16(60));
        if phnum == PN_XNUM {
            return Err(malformed(path, "extended program header numbering"));
        }
        if usize::from(phnum) > MAX_PROGRAM_HEADERS {
            return Err(Error::TooLarge {
                path: p(),
                what: "program headers",
                found: phnum.into(),
                limit: MAX_PROGRAM_HEADERS as u64,
            });
        }
        if phnum == 0 {
            return Err(malformed(path, "no program headers"));
        }
        if usize::from(phentsize) != PHDR_SIZE {
            return Err(malformed(
                path,
                &format!("program headers of {phentsize} bytes, not {PHDR_SIZE}"),
            ));
        }
        let table = usize::from(phnum) * PHDR_SIZE;
        within(
            path,
            || "the program headers".into(),
            phoff,
            table as u64,
            len,
        )?;
        let program_headers: Vec<ProgramHeader> = read(phoff, table)?
            .chunks_exact(PHDR_SIZE)
            .map(|b| {
                let f = Fields { bytes: b };
                ProgramHeader {
                    kind: f.u32(0),
                    flags: f.u32(4),
                    offset: f.u64(8),
                    vaddr: f.u64(16),
                    filesz: f.u64(32),
                    memsz: f.u64(40),
                }
            })
            .collect();
        let mut loads = 0usize;
        let mut previous_end: Option<u64> = None;
        for (i, ph) in program_headers.iter().enumerate() {
            let what = || format!("program header {i} ({})", ph.kind_name());
            if ph.filesz != 0 {
                within(path, what, ph.offset, ph.filesz, len)?;
            }
            if ph.kind != PT_LOAD {
                continue;
            }
            loads += 1;
            if ph.filesz > ph.memsz {
                return Err(malformed(
                    path,
                    &format!("{}: more bytes in the file than in memory", what()),
                ));
            }
            let end = ph
                .vaddr
                .checked_add(ph.memsz)
                .filter(|&e| usize::try_from(e).is_ok())
                .ok_or_else(|| {
                    malformed(path, &format!("{}: ends past the address space", what()))
                })?;
            if previous_end.is_some_and(|prev| ph.vaddr < prev) {
                return Err(malformed(
                    path,
                    &format!(
                        "{}: loadable segments out of address order or overlapping",
                        what()
                    ),
                ));
            }
            previous_end = Some(end);
        }
        if loads == 0 {
            return Err(malformed(path, "no loadable segment"));
        }
        if loads > MAX_SEGMENTS {
            return Err(Error::TooLarge {
                path: p(),
                what: "loadable segments",
                found: loads as u64,
                limit: MAX_SEGMENTS as u64,
            });
        }
        let readable = Regions::of(&program_headers, 0).readable_bytes();
        if readable > MAX_READABLE_BYTES {
            return Err(Error::TooLarge {
                path: p(),
                what: "readable bytes in read-only and RELRO segments",
                found: readable as u64,
                limit: MAX_READABLE_BYTES as u64,
            });
        }
        let mut symbols = None;
        if shoff != 0 && shnum != 0 {
            let size = u64::from(shnum) * u64::from(shentsize);
            within(path, || "the section header table".into(), shoff, size, len)?;
            if usize::from(shentsize) == SHDR_SIZE && usize::from(shnum) <= MAX_SECTIONS {
                let raw = read(shoff, usize::from(shnum) * SHDR_SIZE)?;
                symbols = SymbolTables::from_section_headers(&raw);
            }
        }
        Ok(Headers {
            e_type,
            program_headers,
            len,
            symbols,
        })
    }

    /// The loadable segments.
    pub fn loads(&self) -> impl Iterator<Item = &ProgramHeader> {
        self.program_headers.iter().filter(|p| p.kind == PT_LOAD)
    }
}

fn malformed(path: &Path, reason: &str) -> Error {
    Error::Malformed {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    }
}

/// Checks that `[offset, offset + size)` lies inside a file of `len` bytes.
fn within(
    path: &Path,
    what: impl FnOnce() -> String,
    offset: u64,
    size: u64,
    len: u64,
) -> Result<(), Error> {
    match offset.checked_add(size) {
        Some(end) if end <= len => Ok(()),
        end => Err(Error::Truncated {
            path: path.to_path_buf(),
            what: what(),
            end: end.unwrap_or(u64::MAX),
            len,
        }),
    }
}

/// Fixed-offset reads of this machine's byte order from a header whose
/// length the caller has checked; a read past the end gives zero (never
/// reached: every offset is inside the header read).
struct Fields<'a> {
    bytes: &'a [u8],
}

impl Fields<'_> {
    fn array<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(b) = self.bytes.get(at..at.saturating_add(N)) {
            out.copy_from_slice(b);
        }
        out
    }
    fn u8(&self, at: usize) -> u8 {
        self.bytes.get(at).copied().unwrap_or(0)
    }
    fn u16(&self, at: usize) -> u16 {
        u16::from_ne_bytes(self.array(at))
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_ne_bytes(self.array(at))
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from_ne_bytes(self.array(at))
    }
}

/// Bytes the pre-flight reads at once from the start of a file: the ELF
/// header and seventeen program headers.
const HEAD_READ: usize = 1024;

/// The identity of a file: its device and inode numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

/// What a library path must name, from its metadata (`stat` of the path,
/// or `fstat` of the file opened by it): a regular file, whose identity is
/// returned. [`open_library_file`] applies it before and after opening.
///
/// # Errors
///
/// [`Error::Io`] of kind [`std::io::ErrorKind::IsADirectory`] for a
/// directory, and of kind [`std::io::ErrorKind::NotFound`] for anything
/// else that is not a regular file (a FIFO, a device, a socket).
pub fn library_file(path: &Path, meta: &std::fs::Metadata) -> Result<FileId, Error> {
    let refuse = |kind, reason: &str| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(kind, reason),
    };
    if meta.is_dir() {
        return Err(refuse(
            std::io::ErrorKind::IsADirectory,
            "is a directory, not a library file",
        ));
    }
    if !meta.is_file() {
        return Err(refuse(
            std::io::ErrorKind::NotFound,
            "is not a regular file",
        ));
    }
    Ok(FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

/// Opens `path` for reading once its `stat` says it names a regular file
/// ([`library_file`]: opening a FIFO waits for a writer, opening a device
/// runs its driver), then checks what was opened the same way (the path
/// may have changed in between). Returns the file and its metadata.
///
/// # Errors
///
/// [`Error::Io`]: the path cannot be read or opened, or names no regular
/// file.
pub fn open_library_file(path: &Path) -> Result<(File, std::fs::Metadata), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    library_file(path, &std::fs::metadata(path).map_err(io)?)?;
    let file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    library_file(path, &meta)?;
    Ok((file, meta))
}

/// A file that passed the pre-flight: still open, so that a caller can
/// hand exactly this file to the dynamic loader (see `resilient-loader`).
#[derive(Debug)]
pub struct Preflight {
    /// The path it was opened by.
    pub path: PathBuf,
    /// The open file.
    pub file: File,
    /// Its identity when it was checked.
    pub id: FileId,
    /// Its checked headers.
    pub headers: Headers,
}

/// Checks that the file at `path` is a complete ELF shared object for this
/// machine ([`Headers::parse`] with [`Expect::SharedObject`]), reading only
/// its ELF header and program headers: what the dynamic loader must be able
/// to trust before it maps the file (a segment that lies past the end of a
/// truncated file is mapped all the same, and the first access to it kills
/// the process with `SIGBUS`).
///
/// # Errors
///
/// [`Error::Io`] if the path names no regular file or the file cannot be
/// opened or read ([`open_library_file`]), and the errors of
/// [`Headers::parse`].
pub fn preflight(path: &Path) -> Result<Preflight, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let (file, meta) = open_library_file(path)?;
    let id = library_file(path, &meta)?;
    // The ELF header and the program headers (which follow it in every
    // linker's output) in one read; anything else in its own.
    let head_len = usize::try_from(meta.len().min(HEAD_READ as u64)).unwrap_or(HEAD_READ);
    let mut buf = [0u8; HEAD_READ];
    let head = buf.get_mut(..head_len).unwrap_or_default();
    file.read_exact_at(head, 0).map_err(io)?;
    let head = &*head;
    let headers = Headers::parse(path, meta.len(), Expect::SharedObject, |offset, len| {
        let within = usize::try_from(offset)
            .ok()
            .and_then(|o| head.get(o..o.checked_add(len)?));
        if let Some(bytes) = within {
            return Ok(Cow::Borrowed(bytes));
        }
        let mut buf = vec![0u8; len];
        file.read_exact_at(&mut buf, offset).map_err(io)?;
        Ok(Cow::Owned(buf))
    })?;
    Ok(Preflight {
        path: path.to_path_buf(),
        id,
        file,
        headers,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    /// A minimal ELF64 shared object header for this machine with one
    /// loadable segment covering the whole file.
    fn minimal(len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = ELFCLASS64;
        b[5] = HOST_DATA;
        b[6] = EV_CURRENT;
        b[16..18].copy_from_slice(&ET_DYN.to_ne_bytes());
        b[18..20].copy_from_slice(&HOST_MACHINE.unwrap_or(0).to_ne_bytes());
        b[20..24].copy_from_slice(&1u32.to_ne_bytes());
        b[32..40].copy_from_slice(&64u64.to_ne_bytes());
        b[54..56].copy_from_slice(&56u16.to_ne_bytes());
        b[56..58].copy_from_slice(&1u16.to_ne_bytes());
        let ph = 64;
        b[ph..ph + 4].copy_from_slice(&PT_LOAD.to_ne_bytes());
        b[ph + 4..ph + 8].copy_from_slice(&PF_R.to_ne_bytes());
        b[ph + 32..ph + 40].copy_from_slice(&(len as u64).to_ne_bytes());
        b[ph + 40..ph + 48].copy_from_slice(&(len as u64).to_ne_bytes());
        b
    }

    fn parse(bytes: &[u8], expect: Expect) -> Result<Headers, Error> {
        Headers::parse(Path::new("x.so"), bytes.len() as u64, expect, |o, n| {
            let o = usize::try_from(o).unwrap();
            Ok(Cow::Borrowed(&bytes[o..o + n]))
        })
    }

    #[test]
    fn a_minimal_shared_object_passes() {
        let h = parse(&minimal(200), Expect::SharedObject).unwrap();
        assert_eq!(h.loads().count(), 1);
        assert_eq!(h.e_type, ET_DYN);
    }

    #[test]
    fn every_refusal_is_typed() {
        assert!(matches!(
            parse(b"hello", Expect::SharedObject),
            Err(Error::NotElf { .. })
        ));
        assert!(matches!(
            parse(b"\x7fEL", Expect::SharedObject),
            Err(Error::NotElf { .. })
        ));
        assert!(matches!(
            parse(&minimal(200)[..40], Expect::SharedObject),
            Err(Error::Truncated { .. })
        ));
        let mut b = minimal(200);
        b[4] = 1;
        assert!(matches!(
            parse(&b, Expect::SharedObject),
            Err(Error::WrongTarget {
                property: "class",
                ..
            })
        ));
        let mut b = minimal(200);
        b[16..18].copy_from_slice(&ET_EXEC.to_ne_bytes());
        assert!(matches!(
            parse(&b, Expect::SharedObject),
            Err(Error::WrongType { found: 2, .. })
        ));
        assert!(parse(&b, Expect::Binary).is_ok());
        // The segment claims more file bytes than there are.
        let b = minimal(200);
        let err = parse(&b[..150], Expect::SharedObject).unwrap_err();
        assert!(
            matches!(&err, Error::Truncated { what, end: 200, len: 150, .. } if what.contains("LOAD")),
            "{err}"
        );
        let mut b = minimal(200);
        b[56..58].copy_from_slice(&0u16.to_ne_bytes());
        assert!(matches!(
            parse(&b, Expect::SharedObject),
            Err(Error::Malformed { .. })
        ));
        let mut b = minimal(200);
        b[56..58].copy_from_slice(&PN_XNUM.to_ne_bytes());
        assert!(matches!(
            parse(&b, Expect::SharedObject),
            Err(Error::Malformed { .. })
        ));
        // Section headers past the end.
        let mut b = minimal(200);
        b[40..48].copy_from_slice(&190u64.to_ne_bytes());
        b[58..60].copy_from_slice(&64u16.to_ne_bytes());
        b[60..62].copy_from_slice(&2u16.to_ne_bytes());
        let err = parse(&b, Expect::SharedObject).unwrap_err();
        assert!(err.to_string().contains("section header table"), "{err}");
    }

    #[test]
    fn overflowing_ranges_are_refused_not_wrapped() {
        let mut b = minimal(200);
        b[32..40].copy_from_slice(&u64::MAX.to_ne_bytes());
        assert!(matches!(
            parse(&b, Expect::SharedObject),
            Err(Error::Truncated { end: u64::MAX, .. })
        ));
        let mut b = minimal(200);
        let ph = 64;
        b[ph + 16..ph + 24].copy_from_slice(&u64::MAX.to_ne_bytes());
        assert!(matches!(
            parse(&b, Expect::SharedObject),
            Err(Error::Malformed { .. })
        ));
    }
}
