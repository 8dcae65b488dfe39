//! A library (or consumer binary) read from its file without loading or
//! running it: its readable regions laid out at their link-time addresses,
//! the dynamic relocations that metadata pointers need applied, and the
//! validator reading the result through the same [`Regions`] rule as the
//! loader.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use layout_meta::needs::{
    decode_enum_view, decode_fn_need, decode_view, is_enum_need, is_fn_need, EnumNeed, FnNeed,
    ViewNeed, VIEWS_SECTION,
};
use layout_meta::{Memory, ModuleIndex, ModuleLayout, TypeLayout, MANIFEST_SYMBOL};
use object::elf::{self, FileHeader64};
use object::read::elf::{FileHeader as _, Rela as _, SectionHeader as _, Sym as _};
use object::read::{ReadCache, ReadRef};
use object::Endianness;

use crate::elf::{Expect, Headers, ProgramHeader, PF_R, PT_LOAD};
use crate::limits::{MAX_IMAGE_BYTES, MAX_VIEWS};
use crate::regions::Regions;
use crate::symbols::DynamicSymbols;
use crate::Error;

/// The relocation types that metadata pointers use, for this machine:
/// relative (`B + A`), absolute (`S + A`) and GOT entries (`S`).
#[cfg(target_arch = "x86_64")]
const RELOCATIONS: Relocations = Relocations {
    relative: elf::R_X86_64_RELATIVE,
    absolute: elf::R_X86_64_64,
    glob_dat: elf::R_X86_64_GLOB_DAT,
};
#[cfg(target_arch = "aarch64")]
const RELOCATIONS: Relocations = Relocations {
    relative: elf::R_AARCH64_RELATIVE,
    absolute: elf::R_AARCH64_ABS64,
    glob_dat: elf::R_AARCH64_GLOB_DAT,
};
/// Elsewhere no relocation is applied offline: pointers stay as in the file.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const RELOCATIONS: Relocations = Relocations {
    relative: u32::MAX,
    absolute: u32::MAX,
    glob_dat: u32::MAX,
};

struct Relocations {
    relative: u32,
    absolute: u32,
    glob_dat: u32,
}

/// One readable range's bytes, at its link-time address.
struct Chunk {
    start: usize,
    bytes: Vec<u8>,
}

/// A file's image: its readable regions, relocated, as [`Memory`].
///
/// [`Image::module`] reads through the loader's rule ([`Regions::of`]);
/// [`Image::views`] reads a consumer's view records, which no loader reads
/// at run time, from any readable segment (they sit in writable data).
pub struct Image {
    path: PathBuf,
    headers: Headers,
    /// The loader's rule: where metadata may live.
    regions: Regions,
    /// Where this image's view records may be read: the loader's rule for a
    /// shared library, every readable segment for a consumer binary.
    view_regions: Regions,
    chunks: Vec<Chunk>,
    manifest: Option<usize>,
    views: Option<(usize, usize)>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("path", &self.path)
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

/// Every readable loadable segment whole, writable or not: where a consumer
/// binary's view records may be read.
fn all_readable(headers: &[ProgramHeader]) -> Regions {
    let readable: Vec<ProgramHeader> = headers
        .iter()
        .map(|p| {
            let mut p = *p;
            if p.kind == PT_LOAD && p.flags & PF_R != 0 {
                // Read it as read-only: the rule then keeps it whole.
                p.flags &= !crate::elf::PF_W;
            }
            p
        })
        .collect();
    Regions::of(&readable, 0)
}

fn usize_of(v: u64, path: &Path, what: &str) -> Result<usize, Error> {
    usize::try_from(v).map_err(|_| Error::Malformed {
        path: path.to_path_buf(),
        reason: format!("{what} does not fit this machine's address space"),
    })
}

fn object_error(path: &Path, e: object::read::Error) -> Error {
    Error::Malformed {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

impl Image {
    /// Reads the shared library at `path`: the loader's pre-flight checks
    /// ([`Headers::parse`] with [`Expect::SharedObject`]), then only the
    /// parts of the file the metadata needs (its headers, dynamic symbols,
    /// relocations and readable regions), never the whole file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (also for a path that names no regular file:
    /// [`crate::open_library_file`]), and
    /// those of [`Headers::parse`]; [`Error::Malformed`] if the section
    /// headers, dynamic symbols or relocations are inconsistent.
    pub fn read_library(path: &Path) -> Result<Image, Error> {
        Self::read_file(path, Expect::SharedObject)
    }

    /// Reads a consumer binary (a shared library or an executable) at
    /// `path`, for its recorded views ([`Image::views`]).
    ///
    /// # Errors
    ///
    /// As [`Image::read_library`].
    pub fn read_binary(path: &Path) -> Result<Image, Error> {
        Self::read_file(path, Expect::Binary)
    }

    fn read_file(path: &Path, expect: Expect) -> Result<Image, Error> {
        let (file, meta) = crate::elf::open_library_file(path)?;
        let cache = ReadCache::new(file);
        Self::build(path, &cache, meta.len(), expect)
    }

    /// Parses `bytes`, the contents of `path`, as [`Image::read_library`]
    /// (`expect` [`Expect::SharedObject`]) or [`Image::read_binary`]
    /// ([`Expect::Binary`]) would read the file.
    ///
    /// # Errors
    ///
    /// As [`Image::read_library`], without [`Error::Io`].
    pub fn parse(path: &Path, bytes: &[u8], expect: Expect) -> Result<Image, Error> {
        Self::build(path, bytes, bytes.len() as u64, expect)
    }

    fn build<'data, R: ReadRef<'data>>(
        path: &Path,
        data: R,
        len: u64,
        expect: Expect,
    ) -> Result<Image, Error> {
        let read = |offset: u64, size: usize| -> Result<&'data [u8], Error> {
            data.read_bytes_at(offset, size as u64)
                .map_err(|()| Error::Malformed {
                    path: path.to_path_buf(),
                    reason: format!("cannot read {size} bytes at offset {offset}"),
                })
        };
        let headers = Headers::parse(path, len, expect, |o, n| read(o, n).map(Cow::Borrowed))?;
        let regions = Regions::of(&headers.program_headers, 0);
        let view_regions = match expect {
            Expect::SharedObject => regions.clone(),
            Expect::Binary => all_readable(&headers.program_headers),
        };
        // `view_regions` holds `regions` (a read-only or RELRO range is part
        // of a readable segment): laying it out serves both.
        let total = view_regions.readable_bytes();
        if total > MAX_IMAGE_BYTES {
            return Err(Error::TooLarge {
                path: path.to_path_buf(),
                what: "readable bytes",
                found: total as u64,
                limit: MAX_IMAGE_BYTES as u64,
            });
        }
        let mut chunks = Vec::new();
        for r in view_regions.readable() {
            let mut bytes = vec![0u8; r.end - r.start];
            if let Some(seg) = headers.program_headers.get(r.segment) {
                // The region starts inside its segment; the bytes past the
                // segment's file part stay zero, as in memory.
                let rel = (r.start as u64).saturating_sub(seg.vaddr);
                let in_file = seg.filesz.saturating_sub(rel).min(bytes.len() as u64);
                let n = usize_of(in_file, path, "a segment size")?;
                // The file range was checked by `Headers::parse`.
                let src = read(seg.offset.saturating_add(rel), n)?;
                if let Some(dst) = bytes.get_mut(..n) {
                    dst.copy_from_slice(src);
                }
            }
            chunks.push(Chunk {
                start: r.start,
                bytes,
            });
        }
        let mut img = Image {
            path: path.to_path_buf(),
            headers,
            regions,
            view_regions,
            chunks,
            manifest: None,
            views: None,
        };
        img.read_symbols(data)?;
        Ok(img)
    }

    /// Finds the manifest symbol and the views section, and applies the
    /// dynamic relocations, through the section headers.
    fn read_symbols<'data, R: ReadRef<'data>>(&mut self, data: R) -> Result<(), Error> {
        let path = self.path.clone();
        let err = |e| object_error(&path, e);
        let header = FileHeader64::<Endianness>::parse(data).map_err(err)?;
        let endian = header.endian().map_err(err)?;
        let sections = header.sections(endian, data).map_err(err)?;
        let dynsym = sections
            .symbols(endian, data, elf::SHT_DYNSYM)
            .map_err(err)?;
        let versions = sections.versions(endian, data).map_err(err)?;
        let strings = dynsym.strings();

        for (index, sym) in dynsym.iter().enumerate() {
            if self.manifest.is_some() {
                break;
            }
            if sym.name(endian, strings) != Ok(MANIFEST_SYMBOL.as_bytes()) {
                continue;
            }
            let hidden_version = versions.as_ref().is_some_and(|v| {
                let vi = v.version_index(endian, object::SymbolIndex(index));
                crate::symbols::hidden_version(vi.0)
            });
            let exported = crate::symbols::exported_data(
                sym.st_info(),
                sym.st_other(),
                sym.st_shndx(endian),
                sym.st_value(endian),
            );
            if exported && !hidden_version {
                self.manifest = Some(usize_of(
                    sym.st_value(endian),
                    &path,
                    "the manifest address",
                )?);
            }
        }

        for section in sections.iter() {
            let Some((relas, link)) = section.rela(endian, data).map_err(err)? else {
                continue;
            };
            if link != dynsym.section() {
                continue;
            }
            for rela in relas {
                let r_type = rela.r_type(endian, false);
                let addend = rela.r_addend(endian);
                let value = if r_type == RELOCATIONS.relative {
                    0u64.wrapping_add_signed(addend)
                } else if r_type == RELOCATIONS.absolute || r_type == RELOCATIONS.glob_dat {
                    let Some(index) = rela.symbol(endian, false) else {
                        continue;
                    };
                    match dynsym.symbol(index) {
                        // Defined here: its link-time address. A definition
                        // elsewhere (another library's) stays zero.
                        Ok(sym) if sym.is_definition(endian) => {
                            sym.st_value(endian).wrapping_add_signed(addend)
                        }
                        _ => continue,
                    }
                } else {
                    continue;
                };
                let at = usize_of(rela.r_offset(endian), &path, "a relocation offset")?;
                self.patch(at, value);
            }
        }

        if let Some((_, sec)) = sections.section_by_name(endian, VIEWS_SECTION.as_bytes()) {
            self.views = Some((
                usize_of(sec.sh_addr(endian), &path, "the views section address")?,
                usize_of(sec.sh_size(endian), &path, "the views section size")?,
            ));
        }
        Ok(())
    }

    fn patch(&mut self, at: usize, value: u64) {
        for c in &mut self.chunks {
            if let Some(rel) = at.checked_sub(c.start) {
                if let Some(dst) = c.bytes.get_mut(rel..rel.saturating_add(8)) {
                    if dst.len() == 8 {
                        dst.copy_from_slice(&value.to_ne_bytes());
                        return;
                    }
                }
            }
        }
    }

    fn bytes(&self, addr: usize, len: usize) -> Option<&[u8]> {
        self.chunks.iter().find_map(|c| {
            let start = addr.checked_sub(c.start)?;
            c.bytes.get(start..start.checked_add(len)?)
        })
    }

    /// The path the image was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The checked headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Where metadata may live in this file (the loader's rule), at
    /// link-time addresses.
    pub fn regions(&self) -> &Regions {
        &self.regions
    }

    /// The link-time address of `resilient_manifest`, if the file exports
    /// it as the dynamic loader would find it.
    pub fn manifest_address(&self) -> Option<usize> {
        self.manifest
    }

    /// The module layout, validated: the manifest must be a defined,
    /// exported dynamic symbol of this file, everything it points to must
    /// lie in the read-only or RELRO parts of the file's loadable segments,
    /// and every witness in an executable one; each type's C symbols must
    /// say what its descriptor says ([`layout_meta::verify_c_symbols`],
    /// over [`Image::symbols`]). Checked in the order the loader checks
    /// ([`layout_meta::validate_library`]), so both name the same first
    /// problem. Witness addresses are link-time addresses (the loader's
    /// are these plus the load bias).
    ///
    /// # Errors
    ///
    /// [`Error::NoManifest`], or [`Error::Invalid`] with the validator's
    /// error.
    pub fn module(&self) -> Result<ModuleLayout, Error> {
        let addr = self.manifest.ok_or_else(|| Error::NoManifest {
            path: self.path.clone(),
        })?;
        let invalid = |source| Error::Invalid {
            path: self.path.clone(),
            source,
        };
        layout_meta::validate_library(self, &self.symbols(), addr).map_err(invalid)
    }

    /// The file's dynamic symbols, as the C symbol rule reads them
    /// ([`DynamicSymbols`], at link-time addresses): none if the file has
    /// no dynamic symbol table.
    pub fn symbols(&self) -> DynamicSymbols<'_> {
        DynamicSymbols::new(
            self,
            0,
            self.headers.symbols.unwrap_or_default(),
            &self.regions,
        )
    }

    /// The module's manifest, type names, functions and implementations,
    /// checked as [`Image::module`] checks them, each other type to be
    /// checked when asked for ([`layout_meta::ModuleIndex::validate_type`]
    /// with [`Image::symbols`]): what the loader checks when it opens the
    /// library. Returns the index and the types the functions refer to,
    /// checked.
    ///
    /// # Errors
    ///
    /// As [`Image::module`], for the parts checked.
    pub fn index(&self) -> Result<(ModuleIndex, Vec<(usize, TypeLayout)>), Error> {
        let addr = self.manifest.ok_or_else(|| Error::NoManifest {
            path: self.path.clone(),
        })?;
        ModuleIndex::new(self, addr, Some(&self.symbols())).map_err(|source| Error::Invalid {
            path: self.path.clone(),
            source,
        })
    }

    /// The view records a consumer binary carries (empty if none).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if a record is malformed, [`Error::TooLarge`] if
    /// there are more than [`MAX_VIEWS`] or they decode to more than a
    /// module may.
    pub fn views(&self) -> Result<Vec<ViewNeed>, Error> {
        let mut needs = Vec::new();
        self.records(|memory, ptr| {
            if is_fn_need(memory, ptr) || is_enum_need(memory, ptr) {
                return Ok(0);
            }
            let need = decode_view(memory, ptr)?;
            let bytes = need.heap_bytes();
            needs.push(need);
            Ok(bytes)
        })?;
        Ok(needs)
    }

    /// The enum view records a consumer binary carries (`enum_view!`,
    /// `RSL_ENUM_VIEW`; empty if none).
    ///
    /// # Errors
    ///
    /// As [`Image::views`].
    pub fn enum_needs(&self) -> Result<Vec<EnumNeed>, Error> {
        let mut needs = Vec::new();
        self.records(|memory, ptr| {
            if !is_enum_need(memory, ptr) {
                return Ok(0);
            }
            let need = decode_enum_view(memory, ptr)?;
            let bytes = need.heap_bytes();
            needs.push(need);
            Ok(bytes)
        })?;
        Ok(needs)
    }

    /// The function need records a consumer binary carries (`api!`; empty
    /// if none).
    ///
    /// # Errors
    ///
    /// As [`Image::views`].
    pub fn fn_needs(&self) -> Result<Vec<FnNeed>, Error> {
        let mut needs = Vec::new();
        self.records(|memory, ptr| {
            if !is_fn_need(memory, ptr) {
                return Ok(0);
            }
            let need = decode_fn_need(memory, ptr)?;
            let bytes = std::mem::size_of::<FnNeed>()
                + need.module.len()
                + need.function.name.len()
                + need
                    .function
                    .params
                    .iter()
                    .map(|p| p.name.len() + p.identity.heap_bytes())
                    .sum::<usize>();
            needs.push(need);
            Ok(bytes)
        })?;
        Ok(needs)
    }

    /// Calls `decode` on every record the views section points to, each
    /// once, charging the bytes it returns against a module's budget.
    fn records(
        &self,
        mut decode: impl FnMut(&Views<'_>, usize) -> Result<usize, layout_meta::Error>,
    ) -> Result<(), Error> {
        let Some((addr, size)) = self.views else {
            return Ok(());
        };
        let memory = Views(self);
        let invalid = |source| Error::Invalid {
            path: self.path.clone(),
            source,
        };
        let word = std::mem::size_of::<usize>();
        let count = size / word;
        if count > MAX_VIEWS {
            return Err(Error::TooLarge {
                path: self.path.clone(),
                what: "view records",
                found: count as u64,
                limit: MAX_VIEWS as u64,
            });
        }
        // Records may be shared: each is decoded once, and all of them
        // together may take no more than a module may.
        let mut seen = BTreeSet::new();
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
            let bytes = memory.read(at, word).ok_or_else(|| unreadable(at))?;
            let mut w = [0u8; std::mem::size_of::<usize>()];
            w.copy_from_slice(bytes);
            let ptr = usize::from_ne_bytes(w);
            if !seen.insert(ptr) {
                continue;
            }
            let used = decode(&memory, ptr).map_err(invalid)?;
            budget = budget.checked_sub(used).ok_or_else(|| Error::TooLarge {
                path: self.path.clone(),
                what: "bytes of decoded view records",
                found: u64::MAX,
                limit: layout_meta::limits::MAX_MODULE_BYTES as u64,
            })?;
        }
        Ok(())
    }
}

impl Memory for Image {
    fn read(&self, addr: usize, len: usize) -> Option<&[u8]> {
        self.regions.region_of(addr, len)?;
        self.bytes(addr, len)
    }
    fn is_code(&self, addr: usize) -> bool {
        self.regions.is_code(addr)
    }
}

/// The image as a consumer's view records see it.
struct Views<'a>(&'a Image);

impl Memory for Views<'_> {
    fn read(&self, addr: usize, len: usize) -> Option<&[u8]> {
        self.0.view_regions.region_of(addr, len)?;
        self.0.bytes(addr, len)
    }
    fn is_code(&self, addr: usize) -> bool {
        self.0.regions.is_code(addr)
    }
}
