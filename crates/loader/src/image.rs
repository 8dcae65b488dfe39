//! A loaded library's image as bounded [`Memory`]: the validator may read
//! only the ranges where metadata may live, by the rule that
//! `resilient-offline` states once ([`Regions::of`]: read-only segments and
//! the RELRO parts of writable ones, code for witnesses), applied here to
//! the program headers of the loaded object at their run-time addresses.
//! So a hostile pointer in its metadata is an error, never a crash or a
//! race, and the offline tool accepts what the loader accepts.
//!
//! Its exported symbols, for the C symbol rule
//! (`layout_meta::verify_c_symbols`), are read as the dynamic loader
//! reports them ([`LoadedSymbols`]): `dladdr` names a type record, `dlsym`
//! on the library's handle finds the `_size`, `_align` and `_offset`
//! symbols, each only when the answer is the object's own.

use std::ffi::{c_int, c_void, CStr};
use std::path::PathBuf;

use layout_meta::{Memory, SymbolTable};
use resilient_offline::elf::PT_DYNAMIC;
use resilient_offline::{ProgramHeader, Regions};

/// The segments of one loaded object.
#[derive(Debug)]
pub(crate) struct LoadedImage {
    /// Where metadata may be read, the code, and the object's segments.
    regions: Regions,
    /// Its load bias (`dlpi_addr`).
    base: usize,
    /// The run-time address of its dynamic section (`l_ld`): which loaded
    /// object this is.
    pub(crate) dynamic: usize,
    /// The object's name as the dynamic loader knows it.
    pub(crate) name: PathBuf,
}

struct Search {
    addr: usize,
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
    let phdrs: &[libc::Elf64_Phdr] = if info.dlpi_phdr.is_null() {
        &[]
    } else {
        // SAFETY: `dlpi_phdr` points at `dlpi_phnum` program headers of a
        // loaded object, valid during the callback (the caller's contract).
        unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
    };
    phdrs
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

/// The run-time address of the dynamic section of an object loaded at
/// `base` with `phdrs` (0 if it has none).
pub(crate) fn dynamic_address(base: usize, phdrs: &[ProgramHeader]) -> usize {
    phdrs
        .iter()
        .find(|p| p.kind == PT_DYNAMIC)
        .map_or(0, |p| base.wrapping_add(saturate(p.vaddr)))
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
    let phdrs = unsafe { program_headers(info) };
    let mapped = phdrs
        .iter()
        .filter(|p| p.kind == resilient_offline::elf::PT_LOAD)
        .any(|p| {
            let start = base.wrapping_add(saturate(p.vaddr));
            (start..start.saturating_add(saturate(p.memsz))).contains(&search.addr)
        });
    if !mapped {
        return 0;
    }
    search.found = Some(LoadedImage {
        regions: Regions::of(&phdrs, base),
        base,
        dynamic: dynamic_address(base, &phdrs),
        name: if info.dlpi_name.is_null() {
            PathBuf::new()
        } else {
            // SAFETY: `dlpi_name` is a NUL-terminated string owned by the
            // loader, valid during the callback; we copy it.
            PathBuf::from(
                unsafe { CStr::from_ptr(info.dlpi_name) }
                    .to_string_lossy()
                    .into_owned(),
            )
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
        let mut search = Search { addr, found: None };
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

/// A loaded library's exported symbols, as the dynamic loader reports them,
/// restricted to those of the object itself: what C readers of the library
/// see (`docs/FORMAT.md`, "Symbols").
pub(crate) struct LoadedSymbols<'a> {
    /// The handle `dlsym` searches (the object, then its dependencies).
    pub(crate) lib: &'a libloading::Library,
    /// The object's image, which the handle keeps loaded.
    pub(crate) image: &'a LoadedImage,
}

impl SymbolTable for LoadedSymbols<'_> {
    /// The symbol `dladdr` reports for `addr`, if it is defined exactly
    /// there and `dladdr` found it in this object.
    fn name_at(&self, addr: usize) -> Option<String> {
        let mut info = libc::Dl_info {
            dli_fname: std::ptr::null(),
            dli_fbase: std::ptr::null_mut(),
            dli_sname: std::ptr::null(),
            dli_saddr: std::ptr::null_mut(),
        };
        // SAFETY: `dladdr` only looks `addr` up in the loader's tables (it
        // never dereferences it) and writes one `Dl_info` into `info`, a
        // live, exclusively borrowed `Dl_info`.
        let found = unsafe { libc::dladdr(addr as *const c_void, &raw mut info) };
        if found == 0 || info.dli_sname.is_null() || info.dli_saddr as usize != addr {
            return None;
        }
        // The object `dladdr` searched is this one: its base is our load
        // bias (musl) or the start of our first segment (glibc).
        let fbase = info.dli_fbase as usize;
        if fbase != self.image.base && !self.image.regions.is_mapped(fbase) {
            return None;
        }
        // SAFETY: `dli_sname` is non-null, a NUL-terminated string in the
        // object's string table, mapped while the handle keeps the object
        // loaded (it does for this call); we copy it.
        let name = unsafe { CStr::from_ptr(info.dli_sname) };
        Some(name.to_string_lossy().into_owned())
    }

    /// What `dlsym` on the library's handle finds for `name`, if it lies in
    /// one of this object's segments (a dependency's definition does not
    /// count).
    fn address_of(&self, name: &str) -> Option<usize> {
        // SAFETY: we take only the symbol's address (a `*const u8` that we
        // never dereference here: the validator reads it through the
        // bounded image); nothing is called through it.
        let sym = unsafe { self.lib.get::<*const u8>(name.as_bytes()) }.ok()?;
        // For a data symbol, the value libloading hands out is its address.
        let at = *sym as usize;
        (at != 0 && self.image.regions.is_mapped(at)).then_some(at)
    }
}
