//! A loaded library's image as bounded [`Memory`]: the validator may read
//! only bytes that are mapped by that library and read-only once it is
//! loaded (read-only segments, and the RELRO part of writable ones), so a
//! hostile pointer in its metadata is an error, never a crash or a race.

use std::ffi::{c_int, c_void, CStr};
use std::path::PathBuf;

use layout_meta::Memory;

/// The segments of one loaded object.
#[derive(Debug)]
pub(crate) struct LoadedImage {
    /// `[start, end)` ranges readable and immutable after loading.
    readable: Vec<(usize, usize)>,
    /// `[start, end)` ranges of executable code.
    code: Vec<(usize, usize)>,
    /// The object's name as the dynamic loader knows it.
    pub(crate) name: PathBuf,
}

struct Search {
    addr: usize,
    found: Option<LoadedImage>,
}

fn intersect(a: (usize, usize), b: (usize, usize)) -> Option<(usize, usize)> {
    let (s, e) = (a.0.max(b.0), a.1.min(b.1));
    (s < e).then_some((s, e))
}

/// An ELF address or size as `usize`; on a target where it does not fit it
/// saturates, and so matches no real address.
fn saturate(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
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
    let phdrs: &[libc::Elf64_Phdr] = if info.dlpi_phdr.is_null() {
        &[]
    } else {
        // SAFETY: `dlpi_phdr` points at `dlpi_phnum` program headers of a
        // loaded object, valid during the callback.
        unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
    };
    let range = |p: &libc::Elf64_Phdr| {
        let start = base.wrapping_add(saturate(p.p_vaddr));
        (start, start.saturating_add(saturate(p.p_memsz)))
    };
    let loads = phdrs.iter().filter(|p| p.p_type == libc::PT_LOAD);
    if !loads.clone().any(|p| {
        let (s, e) = range(p);
        (s..e).contains(&search.addr)
    }) {
        return 0;
    }
    let relro: Vec<(usize, usize)> = phdrs
        .iter()
        .filter(|p| p.p_type == libc::PT_GNU_RELRO)
        .map(range)
        .collect();
    let mut image = LoadedImage {
        readable: Vec::new(),
        code: Vec::new(),
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
    };
    for p in loads {
        let r = range(p);
        if p.p_flags & libc::PF_X != 0 {
            image.code.push(r);
        }
        if p.p_flags & libc::PF_R == 0 {
            continue;
        }
        if p.p_flags & libc::PF_W == 0 {
            image.readable.push(r);
        } else {
            image
                .readable
                .extend(relro.iter().filter_map(|&rr| intersect(r, rr)));
        }
    }
    search.found = Some(image);
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
        let end = addr.checked_add(len)?;
        self.readable
            .iter()
            .any(|&(s, e)| s <= addr && end <= e)
            .then(|| {
                // SAFETY:
                // - `[addr, end)` lies in one segment of the object, mapped
                //   while it is loaded (`containing`'s contract);
                // - the segment is read-only after loading (or RELRO), so no
                //   one writes these bytes while the slice lives;
                // - `u8` has no alignment or validity requirement.
                unsafe { std::slice::from_raw_parts(addr as *const u8, len) }
            })
    }
    fn is_code(&self, addr: usize) -> bool {
        self.code.iter().any(|&(s, e)| (s..e).contains(&addr))
    }
}
