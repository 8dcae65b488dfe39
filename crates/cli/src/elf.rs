//! Reading a library's metadata from its file, without loading or running
//! it: the loadable segments are laid out at their link-time addresses, the
//! dynamic relocations that metadata pointers need are applied, and the
//! validator reads the result through the same bounded [`Memory`] as the
//! loader.

use std::path::{Path, PathBuf};

use layout_meta::needs::{decode_view, ViewNeed, VIEWS_SECTION};
use layout_meta::{Memory, ModuleLayout, MANIFEST_SYMBOL};
use object::elf::{PF_R, PF_X, R_X86_64_64, R_X86_64_GLOB_DAT, R_X86_64_RELATIVE};
use object::read::{
    Object, ObjectSection, ObjectSegment, ObjectSymbol, ObjectSymbolTable, RelocationFlags,
    RelocationTarget,
};
use object::{Architecture, BinaryFormat, Endianness, SegmentFlags};

use crate::Error;

/// A loadable segment, at its link-time address.
struct Segment {
    addr: usize,
    bytes: Vec<u8>,
    readable: bool,
    code: bool,
}

/// At most this many loadable segments (real libraries have four to six).
pub const MAX_SEGMENTS: usize = 64;
/// At most this many bytes in all loadable segments together (their memory
/// size, `.bss` included): the image is built in memory.
pub const MAX_IMAGE_BYTES: usize = 1 << 30;
/// At most this many view records in a consumer binary.
pub const MAX_VIEWS: usize = 4096;

/// A binary's image as [`Memory`]: segments with relocations applied.
pub struct Image {
    path: PathBuf,
    segments: Vec<Segment>,
    manifest: Option<usize>,
    views: Option<(usize, usize)>,
}

fn usize_of(v: u64, path: &Path, what: &str) -> Result<usize, Error> {
    usize::try_from(v).map_err(|_| Error::Malformed {
        path: path.to_path_buf(),
        reason: format!("{what} does not fit this machine's address space"),
    })
}

impl Image {
    /// Reads the file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`], [`Error::NotElf`] (not an ELF shared library or
    /// executable), [`Error::Unsupported`] (another architecture or byte
    /// order), [`Error::Malformed`] (truncated or inconsistent).
    pub fn read(path: &Path) -> Result<Image, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &bytes)
    }

    /// Parses `bytes` (the contents of `path`).
    ///
    /// # Errors
    ///
    /// As [`Image::read`].
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Image, Error> {
        let malformed = |reason: String| Error::Malformed {
            path: path.to_path_buf(),
            reason,
        };
        let file = object::File::parse(bytes).map_err(|e| Error::NotElf {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if file.format() != BinaryFormat::Elf {
            return Err(Error::NotElf {
                path: path.to_path_buf(),
                reason: format!("a {:?} file", file.format()),
            });
        }
        if file.architecture() != Architecture::X86_64 || file.endianness() != Endianness::Little {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                what: format!("{:?} {:?}", file.architecture(), file.endianness()),
            });
        }
        let mut segments = Vec::new();
        let mut total = 0usize;
        for seg in file.segments() {
            if segments.len() == MAX_SEGMENTS {
                return Err(malformed(format!(
                    "more than {MAX_SEGMENTS} loadable segments"
                )));
            }
            let (readable, code) = match seg.flags() {
                SegmentFlags::Elf { p_flags } => (p_flags & PF_R != 0, p_flags & PF_X != 0),
                _ => (true, false),
            };
            let addr = usize_of(seg.address(), path, "a segment address")?;
            let size = usize_of(seg.size(), path, "a segment size")?;
            total = total.saturating_add(size);
            if total > MAX_IMAGE_BYTES {
                return Err(malformed(format!(
                    "segments of more than {MAX_IMAGE_BYTES} bytes in all"
                )));
            }
            let data = seg
                .data()
                .map_err(|e| malformed(format!("segment at {addr:#x}: {e}")))?;
            let mut image = vec![0u8; size];
            let n = data.len().min(size);
            image[..n].copy_from_slice(&data[..n]);
            segments.push(Segment {
                addr,
                bytes: image,
                readable,
                code,
            });
        }
        let mut img = Image {
            path: path.to_path_buf(),
            segments,
            manifest: None,
            views: None,
        };
        if let Some(relocs) = file.dynamic_relocations() {
            for (offset, reloc) in relocs {
                let RelocationFlags::Elf { r_type } = reloc.flags() else {
                    continue;
                };
                let value = match r_type {
                    R_X86_64_RELATIVE => reloc.addend() as u64,
                    R_X86_64_64 | R_X86_64_GLOB_DAT => {
                        let RelocationTarget::Symbol(index) = reloc.target() else {
                            continue;
                        };
                        // Dynamic relocations index the dynamic symbol table.
                        let sym = file
                            .dynamic_symbol_table()
                            .and_then(|t| t.symbol_by_index(index).ok());
                        match sym {
                            Some(sym) if sym.is_definition() => {
                                sym.address().wrapping_add(reloc.addend() as u64)
                            }
                            // Undefined (another library's): leave it zero.
                            _ => continue,
                        }
                    }
                    _ => continue,
                };
                let at = usize_of(offset, path, "a relocation offset")?;
                img.patch(at, value);
            }
        }
        img.manifest = file
            .dynamic_symbols()
            .chain(file.symbols())
            .find(|s| s.name() == Ok(MANIFEST_SYMBOL) && s.is_definition())
            .map(|s| usize_of(s.address(), path, "the manifest address"))
            .transpose()?;
        if let Some(sec) = file.section_by_name(VIEWS_SECTION) {
            img.views = Some((
                usize_of(sec.address(), path, "the views section address")?,
                usize_of(sec.size(), path, "the views section size")?,
            ));
        }
        Ok(img)
    }

    fn patch(&mut self, at: usize, value: u64) {
        for s in &mut self.segments {
            if let Some(rel) = at.checked_sub(s.addr) {
                if let Some(dst) = s.bytes.get_mut(rel..rel.saturating_add(8)) {
                    if dst.len() == 8 {
                        dst.copy_from_slice(&value.to_le_bytes());
                        return;
                    }
                }
            }
        }
    }

    /// The path the image was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The module layout, validated.
    ///
    /// # Errors
    ///
    /// [`Error::NoManifest`], or [`Error::Invalid`] with the validator's error.
    pub fn module(&self) -> Result<ModuleLayout, Error> {
        let addr = self.manifest.ok_or_else(|| Error::NoManifest {
            path: self.path.clone(),
        })?;
        let invalid = |source| Error::Invalid {
            path: self.path.clone(),
            source,
        };
        let module = layout_meta::validate(self, addr).map_err(invalid)?;
        layout_meta::verify_code_addresses(self, &module).map_err(invalid)?;
        Ok(module)
    }

    /// The view records a consumer binary carries (empty if none).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if a record is malformed.
    pub fn views(&self) -> Result<Vec<ViewNeed>, Error> {
        let Some((addr, size)) = self.views else {
            return Ok(Vec::new());
        };
        let invalid = |source| Error::Invalid {
            path: self.path.clone(),
            source,
        };
        let word = std::mem::size_of::<usize>();
        let count = size / word;
        if count > MAX_VIEWS {
            return Err(Error::Malformed {
                path: self.path.clone(),
                reason: format!("{count} view records, more than {MAX_VIEWS}"),
            });
        }
        let mut needs = Vec::new();
        // Records may be shared: each is decoded once, and all of them
        // together may take no more than a module may.
        let mut seen = std::collections::BTreeSet::new();
        let mut budget = layout_meta::limits::MAX_MODULE_BYTES;
        for i in 0..count {
            let unreadable = |address| {
                invalid(layout_meta::Error::Unreadable {
                    what: "view pointer".into(),
                    address,
                    len: word,
                })
            };
            let at = i
                .checked_mul(word)
                .and_then(|o| addr.checked_add(o))
                .ok_or_else(|| unreadable(addr))?;
            let bytes = self.read(at, word).ok_or_else(|| {
                invalid(layout_meta::Error::Unreadable {
                    what: "view pointer".into(),
                    address: at,
                    len: word,
                })
            })?;
            let mut w = [0u8; 8];
            w[..word].copy_from_slice(bytes);
            let ptr = usize::from_le_bytes(w);
            if !seen.insert(ptr) {
                continue;
            }
            let need = decode_view(self, ptr).map_err(invalid)?;
            budget = budget
                .checked_sub(need.heap_bytes())
                .ok_or_else(|| Error::Malformed {
                    path: self.path.clone(),
                    reason: format!(
                        "view records that take more than {} bytes decoded",
                        layout_meta::limits::MAX_MODULE_BYTES
                    ),
                })?;
            needs.push(need);
        }
        Ok(needs)
    }
}

impl Memory for Image {
    fn read(&self, addr: usize, len: usize) -> Option<&[u8]> {
        self.segments.iter().filter(|s| s.readable).find_map(|s| {
            let start = addr.checked_sub(s.addr)?;
            s.bytes.get(start..start.checked_add(len)?)
        })
    }
    fn is_code(&self, addr: usize) -> bool {
        self.segments
            .iter()
            .any(|s| s.code && addr.checked_sub(s.addr).is_some_and(|o| o < s.bytes.len()))
    }
}
