//! A loaded library's image as bounded [`Memory`]: the validator may read
//! only the ranges where metadata may live, by the rule that
//! `resilient-offline` states once ([`Regions::of`]: read-only segments and
//! the RELRO parts of writable ones, code for witnesses), applied here to
//! the program headers of the loaded object at their run-time addresses.
//! So a hostile pointer in its metadata is an error, never a crash or a
//! race, and the offline tool accepts what the loader accepts.
//!
//! Its exported symbols, for the manifest and the C symbol rule
//! (`layout_meta::verify_c_symbols`), are read by `resilient-offline`'s one
//! reader of dynamic symbol tables ([`resilient_offline::DynamicSymbols`]),
//! through this image at the object's load bias: what `dlsym` on the
//! library's handle finds in the object itself, looked up as the dynamic
//! loader does, without a call into it (a `dlsym` costs a lock and an error
//! frame: a quarter of a microsecond, eleven times per type).

use std::ffi::{c_int, c_void, CStr};
use std::os::unix::ffi::OsStrExt as _;
use std::path::PathBuf;
use std::sync::Arc;

use layout_meta::Memory;
use resilient_offline::elf::PT_DYNAMIC;
use resilient_offline::{DynamicSymbols, ProgramHeader, Regions, SymbolTables};

/// The segments of one loaded object.
#[derive(Clone, Debug)]
pub(crate) struct LoadedImage {
    /// Where metadata may be read, the code, and the object's segments
    /// (shared with the loader's record of the object, `load::Held`, so that
    /// reopening an object still loaded does not search for it again).
    regions: Arc<Regions>,
    /// Its load bias (`dlpi_addr`).
    base: usize,
    /// The object's name as the dynamic loader knows it (empty for an
    /// object found by its dynamic section).
    pub(crate) name: PathBuf,
}

struct Search {
    /// The object mapping this address...
    addr: usize,
    /// ...or (if nonzero) the object whose dynamic section is here.
    dynamic: usize,
    found: Option<LoadedImage>,
}

/// An ELF address or size as `usize`; on a target where it does not fit it
/// saturates, and so matches no real address.
fn saturate(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// The program headers of the object `info` describes.
///
/// # Safety
///
/// `info` is what the dynamic loader passed to a `dl_iterate_phdr`
/// callback that is still running.
pub(crate) unsafe fn program_headers(info: &libc::dl_phdr_info) -> Vec<ProgramHeader> {
    // SAFETY: the caller's contract.
    unsafe { raw_program_headers(info) }
        .iter()
        .map(|p| ProgramHeader {
            kind: p.p_type,
            flags: p.p_flags,
            offset: p.p_offset,
            vaddr: p.p_vaddr,
            filesz: p.p_filesz,
            memsz: p.p_memsz,
        })
        .collect()
}

/// The program headers of the object `info` describes, as the loader
/// keeps them.
///
/// # Safety
///
/// As [`program_headers`]; the slice lives no longer than the callback.
unsafe fn raw_program_headers(info: &libc::dl_phdr_info) -> &[libc::Elf64_Phdr] {
    if info.dlpi_phdr.is_null() {
        &[]
    } else {
        // SAFETY: `dlpi_phdr` points at `dlpi_phnum` program headers of a
        // loaded object, valid during the callback (the caller's contract).
        unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
    }
}

unsafe extern "C" fn visit(
    info: *mut libc::dl_phdr_info,
    _size: usize,
    data: *mut c_void,
) -> c_int {
    // SAFETY: `data` is the `&mut Search` passed to `dl_iterate_phdr` below,
    // alive and exclusively ours for the whole iteration.
    let search = unsafe { &mut *data.cast::<Search>() };
    // SAFETY: the dynamic loader passes a valid `dl_phdr_info` for the
    // duration of this callback.
    let info = unsafe { &*info };
    let base = saturate(info.dlpi_addr);
    // SAFETY: `info` is this running callback's.
    let raw = unsafe { raw_program_headers(info) };
    let wanted = if search.dynamic != 0 {
        raw.iter()
            .find(|p| p.p_type == PT_DYNAMIC)
            .is_some_and(|p| base.wrapping_add(saturate(p.p_vaddr)) == search.dynamic)
    } else {
        raw.iter()
            .filter(|p| p.p_type == resilient_offline::elf::PT_LOAD)
            .any(|p| {
                let start = base.wrapping_add(saturate(p.p_vaddr));
                (start..start.saturating_add(saturate(p.p_memsz))).contains(&search.addr)
            })
    };
    if !wanted {
        return 0;
    }
    // SAFETY: `info` is this running callback's.
    let phdrs = unsafe { program_headers(info) };
    search.found = Some(LoadedImage {
        regions: Arc::new(Regions::of(&phdrs, base)),
        base,
        // The name is for messages about objects found by address only.
        name: if info.dlpi_name.is_null() || search.dynamic != 0 {
            PathBuf::new()
        } else {
            // SAFETY: `dlpi_name` is a NUL-terminated string owned by the
            // loader, valid during the callback; we copy it.
            let name = unsafe { CStr::from_ptr(info.dlpi_name) };
            PathBuf::from(std::ffi::OsStr::from_bytes(name.to_bytes()))
        },
    });
    1
}

impl LoadedImage {
    /// The loaded object that maps `addr`.
    ///
    /// # Safety
    ///
    /// The result may only be read through while that object stays loaded
    /// (the caller holds a handle to it).
    pub(crate) unsafe fn containing(addr: usize) -> Option<LoadedImage> {
        // SAFETY: the caller's contract.
        unsafe { Self::search(addr, 0) }
    }

    /// The loaded object whose dynamic section is at `dynamic`.
    ///
    /// # Safety
    ///
    /// As [`LoadedImage::containing`].
    pub(crate) unsafe fn with_dynamic(dynamic: usize) -> Option<LoadedImage> {
        if dynamic == 0 {
            return None;
        }
        // SAFETY: the caller's contract.
        unsafe { Self::search(0, dynamic) }
    }

    /// The image found before of an object that has stayed loaded since:
    /// its segments and load bias, as [`LoadedImage::with_dynamic`] gave
    /// them (the program headers of a loaded object do not change while it
    /// stays loaded).
    ///
    /// # Safety
    ///
    /// `regions` and `base` were found by [`LoadedImage::with_dynamic`] for
    /// an object that has not been unloaded since, and, as for
    /// [`LoadedImage::containing`], the result may only be read through
    /// while that object stays loaded.
    pub(crate) unsafe fn recorded(regions: Arc<Regions>, base: usize) -> LoadedImage {
        LoadedImage {
            regions,
            base,
            name: PathBuf::new(),
        }
    }

    /// What [`LoadedImage::recorded`] takes back.
    pub(crate) fn parts(&self) -> (Arc<Regions>, usize) {
        (Arc::clone(&self.regions), self.base)
    }

    /// # Safety
    ///
    /// As [`LoadedImage::containing`].
    unsafe fn search(addr: usize, dynamic: usize) -> Option<LoadedImage> {
        let mut search = Search {
            addr,
            dynamic,
            found: None,
        };
        // SAFETY: `visit` matches the callback signature, only reads what the
        // loader passes, and `search` outlives the call.
        unsafe { libc::dl_iterate_phdr(Some(visit), (&raw mut search).cast::<c_void>()) };
        search.found
    }
}

impl Memory for LoadedImage {
    fn read(&self, addr: usize, len: usize) -> Option<&[u8]> {
        self.regions.region_of(addr, len).map(|_| {
            // SAFETY:
            // - `[addr, addr + len)` lies in one readable region of the
            //   object (`region_of`, which also refuses an overflowing
            //   range), inside one of its loadable segments, mapped while
            //   it is loaded (`containing`'s contract);
            // - the region is read-only after loading (a read-only segment
            //   or RELRO), so no one writes these bytes while the slice
            //   lives;
            // - `u8` has no alignment or validity requirement.
            unsafe { std::slice::from_raw_parts(addr as *const u8, len) }
        })
    }
    fn is_code(&self, addr: usize) -> bool {
        self.regions.is_code(addr)
    }
}

impl LoadedImage {
    /// The object's symbols (see the module docs), its tables where
    /// `tables` (from its file's section headers) says; none without.
    pub(crate) fn symbols(&self, tables: Option<SymbolTables>) -> DynamicSymbols<'_> {
        DynamicSymbols::new(self, self.base, tables.unwrap_or_default(), &self.regions)
    }

    /// Whether `addr` lies in one of the object's loadable segments.
    pub(crate) fn is_mapped(&self, addr: usize) -> bool {
        self.regions.is_mapped(addr)
    }
}
