//! Handing a checked file to the dynamic loader, and making sure that the
//! object it gives back is that file.
//!
//! Two things stand between a path and a correct `dlopen` of it:
//!
//! - **The file may be unfit to map.** A truncated library is mapped past
//!   its end all the same, and the first access to a missing page kills the
//!   process with `SIGBUS`. So the file first passes
//!   `resilient_offline::preflight` (its ELF header and program headers,
//!   every segment inside the file), which also keeps the file open.
//! - **The dynamic loader may return another object.** glibc's `dlopen`
//!   first compares the name it is given with the names of the objects
//!   already loaded, and returns a match without looking at the file. A
//!   new version installed by `rename` at the path of a version still
//!   loaded is therefore never loaded: `dlopen` hands back the old one. So
//!   when `dlopen` returns an object that was already loaded, we check that
//!   it maps the file we checked (same device and inode), and when it does
//!   not, we load that file under a name no object has.
//!
//! ## Which name
//!
//! A symlink, in a new private directory (`$TMPDIR/resilient-<pid>-<n>`,
//! mode 0700, never used twice by one process), to `/proc/self/fd/<fd>` of
//! the descriptor the pre-flight holds open. glibc then finds no object of
//! that name, opens the link, and so opens exactly the file we checked
//! (whatever `rename`s happen meanwhile); if that file is already loaded
//! under another name, glibc recognises it by device and inode and returns
//! that object, which is then right. The link and directory are removed at
//! once: the object stays mapped, and its name is never reused.
//!
//! The alternatives, tried on glibc 2.36: `dlopen("/proc/self/fd/<fd>")`
//! itself also loads the new file, but glibc records the name, and
//! descriptor numbers are reused: a later upgrade through the same number
//! matched the earlier object by name and returned it (the same bug one
//! level down). A hard link needs a directory on the same file system as
//! the library, which may be read-only, and a name that is visible to
//! others while it exists. The cost of the symlink: the object's name, as
//! debuggers and `dl_iterate_phdr` see it, is the removed link's, and
//! `$ORIGIN` in its run path is the private directory, so a library of
//! this kind that finds sibling dependencies through `$ORIGIN` fails to
//! load by this path (an [`Error::Open`], never a wrong object).
//!
//! ## Knowing which file an object maps
//!
//! Which file each object maps, once checked, is recorded by object (the
//! address of its dynamic section, unique while it is loaded), with the
//! name the dynamic loader knows it by and where its dynamic symbol tables
//! are. The record holds while this crate holds the object, and after
//! that for as long as no object of the process has been unloaded: the
//! dynamic loader counts unloads (`dlpi_subs` of `dl_iterate_phdr`), and
//! an object can only leave its address by being unloaded. For an object
//! loaded by someone else, the mapping of its dynamic section in
//! `/proc/self/maps` names the device and inode: asked of the kernel for
//! that one address where it answers (`PROCMAP_QUERY`, Linux 6.11 and
//! later, a few microseconds), else read from the text of every mapping of
//! the process (tens of microseconds), so only once per load. If that
//! cannot be read, or names another file (as on overlay file systems
//! before Linux 6.8, which report the lower file there), the file is
//! loaded by the symlink, which is right in every case.
//!
//! ## Reopening a checked file
//!
//! When the path names (by device and inode, one `stat`) a file whose
//! object is recorded under exactly that name, `dlopen` of the name
//! returns that object without reading the file (glibc matches names
//! first): the pre-flight is skipped, and the object returned must be the
//! recorded one, with no unload in between. Anything else takes the
//! checked road above.
//!
//! ## What a reopen is lent
//!
//! The record also keeps what was found in the object: its image (where
//! its segments are) and its checked manifest (`types::Manifest`: the
//! manifest's index and each type's layout once checked, or why it is not
//! valid). Both were read from the object's bytes at its address and from
//! the dynamic symbol tables of the file the record names (the file id
//! ties the two), and every byte read lies in a read-only or RELRO segment
//! (`resilient_offline::Regions`). So they are true of the object for as
//! long as its record is, and an open of the same load is lent them: it
//! reads and checks nothing again, and shares the layouts checked (each
//! open still makes its own types, with their own binding ids, and keeps
//! the object loaded by its own handle). The manifest holds the object's
//! run-time addresses (witnesses, thunks): it never serves another object.
//!
//! An open is lent them when it takes the fast road (a record under the
//! path's name held, or unheld with no shared object of the process
//! unloaded since, by anyone), or when, by the checked road, it finds the
//! object held all along by another handle of this crate
//! (`Held::register`). Two opens that race may each check the same load;
//! the first manifest recorded is the one both then use. What a record no
//! handle holds lends is dropped with it: at the next close of a library
//! by this crate once a shared object was unloaded, or when more than
//! `MAX_UNHELD` such records are kept. A library opened with
//! `UnloadPolicy::Never` keeps its record, and what it lends, for the life
//! of the process, as it keeps the object.
//!
//! Left open: a `rename` over the path between the pre-flight and a
//! `dlopen` that loads the path for the first time loads the new file
//! unchecked (the window is one `dlopen`; installers rename once). On musl,
//! whose `dlopen` compares files rather than names, the same window opens
//! between the `stat` and the `dlopen` of a reopened file.

use std::ffi::{c_int, c_void};
use std::os::fd::AsRawFd as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use libloading::os::unix::Library as UnixLibrary;
use parking_lot::Mutex;
use resilient_offline::elf::PT_DYNAMIC;
use resilient_offline::{FileId, Preflight, Regions, SymbolTables};

use crate::image::LoadedImage;
use crate::types::Manifest;
use crate::Error;

/// A library handed to the dynamic loader, known to map the checked file.
///
/// `lib` is never moved out while `_held` lives: a record held by a handle
/// of this crate is what says that the object was never unloaded, and so
/// that what was found in it (addresses of its code among them) is still
/// true and may be lent to the next open.
pub(crate) struct Opened {
    /// Dropped first: the object is forgotten before it may be unloaded.
    pub(crate) _held: Held,
    /// The dynamic loader's handle.
    pub(crate) lib: libloading::Library,
    /// The run-time address of the object's dynamic section.
    pub(crate) dynamic: usize,
    /// Where the file's dynamic symbol tables are (link-time addresses).
    pub(crate) symbols: Option<SymbolTables>,
    /// The object's image, lent if an earlier open of the same load
    /// recorded it (`Held::register`): `None` on a first load.
    pub(crate) image: Option<LoadedImage>,
    /// Its checked manifest, lent likewise: checked against this very
    /// object, its addresses are this object's.
    pub(crate) manifest: Option<Arc<Manifest>>,
}

/// What `dlopen` gave back: the handle, the object's dynamic section and
/// the name the dynamic loader knows it by.
struct Handle {
    lib: libloading::Library,
    dynamic: usize,
    name: Option<Vec<u8>>,
}

/// Checks `path` (the pre-flight, or one `stat` when an object is recorded
/// under that name), loads it, and makes sure that the object loaded is
/// the file checked.
///
/// Nothing here opens the path before its `stat` says it names a regular
/// file: the fast road's `stat` comes first, and the pre-flight makes its
/// own before it opens (`resilient_offline::open_library_file`).
pub(crate) fn open(path: &Path) -> Result<Opened, Error> {
    let before = unloads();
    // The fast road needs the file's identity first; with no object
    // recorded under the name it cannot be taken, and the pre-flight's
    // `stat` is the only one.
    if Held::named(path.as_os_str().as_bytes(), before) {
        let id = check_path(path)?;
        if let Some(opened) = reopen(path, id, before)? {
            return Ok(opened);
        }
    }
    let checked = resilient_offline::preflight(path).map_err(|e| offline_error(path, e))?;
    let before = loaded_objects();
    let mut h = dlopen(path, path)?;
    // An object loaded by this call was opened from the path; one loaded
    // before may have been matched by name and map another file.
    if before.contains(&h.dynamic) && !maps(h.dynamic, checked.id) {
        drop(h);
        h = open_by_descriptor(&checked)?;
    }
    // SAFETY: nothing is claimed of the object.
    Ok(unsafe { Opened::new(h, checked.id, checked.headers.symbols, Found::default()) })
}

impl Opened {
    /// The object `h` gave, recorded as mapping file `id` (whose dynamic
    /// symbol tables are `symbols`), with what is known of it: `found`, or
    /// what an open that has held the object all along found in it
    /// ([`Held::register`]).
    ///
    /// # Safety
    ///
    /// `found` is true of the object `h` holds: read from the record of
    /// that very object, with no unload since.
    unsafe fn new(h: Handle, id: FileId, symbols: Option<SymbolTables>, found: Found) -> Opened {
        let (held, found) = Held::register(h.dynamic, id, h.name, symbols, found);
        // SAFETY: the image was found for the object at `h.dynamic`, which
        // has stayed loaded since (the caller's contract, or the record
        // held all along); the `Opened` keeps it loaded while it is read.
        let image = found
            .image
            .map(|(regions, base)| unsafe { LoadedImage::recorded(regions, base) });
        Opened {
            _held: held,
            lib: h.lib,
            dynamic: h.dynamic,
            symbols,
            image,
            manifest: found.manifest,
        }
    }
}

/// What the path names now (one `stat`, following symlinks as `dlopen`
/// does): a regular file (`resilient_offline::library_file`, the rule the
/// pre-flight applies too), or the error that says why not.
pub(crate) fn check_path(path: &Path) -> Result<FileId, Error> {
    let meta = std::fs::metadata(path).map_err(|source| io_error(path, source))?;
    resilient_offline::library_file(path, &meta).map_err(|e| offline_error(path, e))
}

/// The loader's error for what `resilient-offline` found in the file at
/// `path`: the same words either reader says.
pub(crate) fn offline_error(path: &Path, e: resilient_offline::Error) -> Error {
    match e {
        resilient_offline::Error::Io { path, source } => io_error(&path, source),
        resilient_offline::Error::NoManifest { path } => Error::NoManifest { path },
        resilient_offline::Error::Invalid { path, source } => {
            Error::InvalidMetadata { path, source }
        }
        source => Error::Malformed {
            path: path.to_path_buf(),
            source: Box::new(source),
        },
    }
}

/// [`Error::NotFound`] for a path that names nothing, else
/// [`Error::Io`].
fn io_error(path: &Path, source: std::io::Error) -> Error {
    match source.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            path: path.to_path_buf(),
        },
        _ => Error::Io {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// The fast road (see the module docs): `Some` if the file `id` at `path`
/// is recorded as loaded under the name `path`, and `dlopen(path)` returned
/// that very object. `before` is the unload count read before `id` was.
fn reopen(path: &Path, id: FileId, before: Option<u64>) -> Result<Option<Opened>, Error> {
    let Some(known) = Held::loaded_as(id, path.as_os_str().as_bytes(), before) else {
        return Ok(None);
    };
    let h = dlopen(path, path)?;
    // No unload since the record was known valid: the object at its
    // address is the one recorded.
    if h.dynamic != known.dynamic || before.is_none() || unloads() != before {
        return Ok(None);
    }
    // SAFETY: `known.found` was read from the record of the object at
    // `known.dynamic`, which has stayed loaded since (the record was valid
    // at `before` and no object was unloaded since).
    Ok(Some(unsafe {
        Opened::new(h, id, known.symbols, known.found)
    }))
}

/// How many objects the process has unloaded so far (`dlpi_subs`), if the
/// dynamic loader says.
fn unloads() -> Option<u64> {
    unsafe extern "C" fn first(
        info: *mut libc::dl_phdr_info,
        size: usize,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: `data` is the `&mut Option<u64>` passed below, alive and
        // exclusively ours for the whole iteration.
        let out = unsafe { &mut *data.cast::<Option<u64>>() };
        let end = std::mem::offset_of!(libc::dl_phdr_info, dlpi_subs) + 8;
        if size >= end {
            // SAFETY: the loader passes a valid `dl_phdr_info` of `size`
            // bytes for the duration of this callback, and `dlpi_subs`
            // lies within them.
            *out = Some(unsafe { (*info).dlpi_subs });
        }
        // One object is enough: the count is the process's.
        1
    }
    let mut out: Option<u64> = None;
    // SAFETY: `first` matches the callback signature, only reads what the
    // loader passes, and `out` outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(first), (&raw mut out).cast::<c_void>()) };
    out
}

/// `dlopen(name)` (`RTLD_LAZY | RTLD_LOCAL`, as `libloading`), the address
/// of the object's dynamic section and its name. Errors name `path`.
fn dlopen(name: &Path, path: &Path) -> Result<Handle, Error> {
    // SAFETY: loading a library runs its initialisers; that code is
    // trusted by contract (documented on `Library::open` and the crate).
    // Its metadata is not trusted and is validated after this.
    let lib = unsafe { UnixLibrary::new(name) }.map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let handle = lib.into_raw();
    let mut map: *mut LinkMap = std::ptr::null_mut();
    // SAFETY: `handle` is a live handle from `dlopen` (owned by us until
    // `from_raw` below); `RTLD_DI_LINKMAP` writes one pointer into `map`.
    let rc = unsafe { dlinfo(handle, RTLD_DI_LINKMAP, (&raw mut map).cast::<c_void>()) };
    let (dynamic, name) = if rc == 0 && !map.is_null() {
        // SAFETY: on success `map` points at the object's `link_map`
        // (glibc's and musl's begin with these public fields), valid while
        // the handle keeps the object loaded; we copy two fields, and the
        // name (NUL-terminated, owned by the loader) is copied while the
        // object is loaded.
        unsafe {
            let name = (*map).l_name;
            let name =
                (!name.is_null()).then(|| std::ffi::CStr::from_ptr(name).to_bytes().to_vec());
            ((*map).l_ld as usize, name)
        }
    } else {
        (0, None)
    };
    // SAFETY: `handle` came from `into_raw` above and is used once.
    let lib = unsafe { UnixLibrary::from_raw(handle) };
    Ok(Handle {
        lib: lib.into(),
        dynamic,
        name,
    })
}

/// Loads the checked file through a fresh symlink to its open descriptor
/// (see the module docs for why this name).
fn open_by_descriptor(checked: &Preflight) -> Result<Handle, Error> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let file_name = checked
        .path
        .file_name()
        .map_or_else(|| "library.so".into(), |n| n.to_os_string());
    let target = PathBuf::from(format!("/proc/self/fd/{}", checked.file.as_raw_fd()));
    let pid = std::process::id();
    // A directory no other object of this process was named in: a number
    // this process has not used, in a directory that did not exist.
    let mut attempts = 0;
    let dir = loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("resilient-{pid}-{n}"));
        let mut builder = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&dir) {
            Ok(()) => break dir,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 100 => {
                attempts += 1;
            }
            Err(e) => return Err(io(&dir)(e)),
        }
    };
    let link = dir.join(file_name);
    let loaded = std::os::unix::fs::symlink(&target, &link)
        .map_err(io(&link))
        .and_then(|()| dlopen(&link, &checked.path));
    // The object stays mapped; its name is never looked up again.
    let _ = std::fs::remove_file(&link);
    let _ = std::fs::remove_dir(&dir);
    loaded
}

/// The public head of the dynamic loader's `struct link_map` (`<link.h>`;
/// musl's `struct dso` begins the same way for `dlinfo`).
#[repr(C)]
struct LinkMap {
    _l_addr: usize,
    l_name: *const std::ffi::c_char,
    l_ld: *const c_void,
}

const RTLD_DI_LINKMAP: c_int = 2;

#[cfg(target_env = "gnu")]
use libc::dlinfo;
#[cfg(not(target_env = "gnu"))]
extern "C" {
    fn dlinfo(handle: *mut c_void, request: c_int, info: *mut c_void) -> c_int;
}

/// The dynamic-section addresses of every object loaded now.
fn loaded_objects() -> Vec<usize> {
    unsafe extern "C" fn collect(
        info: *mut libc::dl_phdr_info,
        _size: usize,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: `data` is the `&mut Vec` passed to `dl_iterate_phdr`
        // below, alive and exclusively ours for the whole iteration.
        let found = unsafe { &mut *data.cast::<Vec<usize>>() };
        // SAFETY: the dynamic loader passes a valid `dl_phdr_info` for the
        // duration of this callback.
        let info = unsafe { &*info };
        let phdrs: &[libc::Elf64_Phdr] = if info.dlpi_phdr.is_null() {
            &[]
        } else {
            // SAFETY: `dlpi_phdr` points at `dlpi_phnum` program headers of
            // a loaded object, valid during the callback.
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
        };
        if let Some(p) = phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) {
            let base = usize::try_from(info.dlpi_addr).unwrap_or(usize::MAX);
            let vaddr = usize::try_from(p.p_vaddr).unwrap_or(usize::MAX);
            found.push(base.wrapping_add(vaddr));
        }
        0
    }
    let mut found: Vec<usize> = Vec::with_capacity(32);
    // SAFETY: `collect` matches the callback signature, only reads what the
    // loader passes, and `found` outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(collect), (&raw mut found).cast::<c_void>()) };
    found
}

/// Whether the loaded object whose dynamic section is at `dynamic` maps
/// the file `id`: by our record if we hold it, else by `/proc/self/maps`.
fn maps(dynamic: usize, id: FileId) -> bool {
    if let Some(known) = Held::identity(dynamic, unloads()) {
        return known == id;
    }
    mapped_file(dynamic) == Some(id)
}

/// The device and inode of the file mapped at `addr`, from
/// `/proc/self/maps`: asked for that one address (`PROCMAP_QUERY`, Linux
/// 6.11 and later), else read from its text, a line per mapping of the
/// process (tens of microseconds).
fn mapped_file(addr: usize) -> Option<FileId> {
    let maps = std::fs::File::open("/proc/self/maps").ok()?;
    match query_mapping(&maps, addr) {
        Ok(answer) => answer,
        Err(_) => mapped_file_in_text(maps, addr),
    }
}

/// [`mapped_file`] from the text of `/proc/self/maps` (`start-end perms
/// offset major:minor inode path`).
fn mapped_file_in_text(maps: std::fs::File, addr: usize) -> Option<FileId> {
    use std::io::BufRead as _;
    for line in std::io::BufReader::new(maps).lines() {
        let line = line.ok()?;
        let mut fields = line.split_ascii_whitespace();
        let (start, end) = fields.next()?.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        if !(start..end).contains(&addr) {
            continue;
        }
        let (major, minor) = fields.nth(2)?.split_once(':')?;
        let major = u32::from_str_radix(major, 16).ok()?;
        let minor = u32::from_str_radix(minor, 16).ok()?;
        let ino = fields.next()?.parse().ok()?;
        return Some(FileId {
            dev: libc::makedev(major, minor),
            ino,
        });
    }
    None
}

/// `struct procmap_query` of `<linux/fs.h>` (Linux 6.11): which mapping
/// covers one address of the process.
#[repr(C)]
#[derive(Default)]
struct ProcmapQuery {
    size: u64,
    query_flags: u64,
    query_addr: u64,
    vma_start: u64,
    vma_end: u64,
    vma_flags: u64,
    vma_page_size: u64,
    vma_offset: u64,
    inode: u64,
    dev_major: u32,
    dev_minor: u32,
    vma_name_size: u32,
    build_id_size: u32,
    vma_name_addr: u64,
    build_id_addr: u64,
}

/// `PROCMAP_QUERY`: `_IOWR('f', 17, struct procmap_query)`.
const PROCMAP_QUERY: u64 =
    (3 << 30) | ((core::mem::size_of::<ProcmapQuery>() as u64) << 16) | ((b'f' as u64) << 8) | 17;
const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(size_of::<ProcmapQuery>() == 104, "the kernel's layout");
    assert!(offset_of!(ProcmapQuery, query_addr) == 16);
    assert!(offset_of!(ProcmapQuery, vma_start) == 24);
    assert!(offset_of!(ProcmapQuery, inode) == 64);
    assert!(offset_of!(ProcmapQuery, dev_major) == 72);
    assert!(offset_of!(ProcmapQuery, dev_minor) == 76);
    assert!(offset_of!(ProcmapQuery, vma_name_size) == 80);
    assert!(offset_of!(ProcmapQuery, build_id_size) == 84);
    assert!(offset_of!(ProcmapQuery, vma_name_addr) == 88);
    assert!(offset_of!(ProcmapQuery, build_id_addr) == 96);
};

/// Asks the kernel which file is mapped at `addr` (`maps` is
/// `/proc/self/maps`): `Ok(None)` if no mapping of the process covers it,
/// `Err` if the kernel does not answer (`ENOTTY` before 6.11), fails
/// otherwise, or answers of another range.
fn query_mapping(maps: &std::fs::File, addr: usize) -> std::io::Result<Option<FileId>> {
    let mut q = ProcmapQuery {
        size: core::mem::size_of::<ProcmapQuery>() as u64,
        query_addr: addr as u64,
        ..ProcmapQuery::default()
    };
    // The request's bits, as the C library's `ioctl` takes them (musl's
    // is an `int`).
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        reason = "the request is 32 bits; only its bits matter"
    )]
    let request = PROCMAP_QUERY as libc::Ioctl;
    // SAFETY: `q` is a `procmap_query` of the size its `size` says (and
    // the request encodes), every byte initialised, live for the call. The
    // kernel reads `size` bytes of it and writes back at most as many;
    // every field is an integer, so any bytes written are a valid value.
    // With no name or build-id buffer (sizes and addresses 0) it writes
    // nowhere else. A kernel that does not know the request fails with
    // `ENOTTY` and writes nothing.
    let rc = unsafe { libc::ioctl(maps.as_raw_fd(), request, &raw mut q) };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENOENT) => Ok(None),
            _ => Err(e),
        };
    }
    let covers = (q.vma_start..q.vma_end).contains(&(addr as u64));
    if !covers {
        return Err(std::io::Error::other(
            "the kernel answered of another range",
        ));
    }
    Ok(Some(FileId {
        dev: libc::makedev(q.dev_major, q.dev_minor),
        ino: q.inode,
    }))
}

/// What is recorded of one checked object.
struct Record {
    /// The address of its dynamic section.
    dynamic: usize,
    /// The file it maps.
    id: FileId,
    /// The name the dynamic loader knows it by.
    name: Option<Vec<u8>>,
    /// Where its file's dynamic symbol tables are.
    symbols: Option<SymbolTables>,
    /// What was found in it so far.
    found: Found,
    /// How many of this crate's handles hold it.
    holders: usize,
    /// Once none does: the unload count then (the record holds while it
    /// is unchanged).
    since: Option<u64>,
}

impl Record {
    /// Whether the object is still loaded at `dynamic`, `now` being the
    /// current unload count.
    fn valid(&self, now: Option<u64>) -> bool {
        self.holders > 0 || (self.since.is_some() && self.since == now)
    }
}

/// The objects checked so far (see the module docs).
static HELD: Mutex<Vec<Record>> = Mutex::new(Vec::new());

/// Most records kept of objects no handle of this crate holds.
const MAX_UNHELD: usize = 64;

/// What was found in a loaded object, once read: true of the object as
/// long as its record holds, since an object cannot leave its address
/// but by being unloaded.
#[derive(Clone, Default)]
struct Found {
    /// Its image (segments and load bias).
    image: Option<(Arc<Regions>, usize)>,
    /// Its manifest and the layouts checked so far (their witness and
    /// thunk addresses are the object's at that address).
    manifest: Option<Arc<Manifest>>,
}

/// What [`Held::loaded_as`] found.
struct Known {
    dynamic: usize,
    symbols: Option<SymbolTables>,
    found: Found,
}

/// One handle's record that the object at `dynamic` maps a file.
/// Dropping it (before the handle is closed) notes when no handle of this
/// crate holds the object any more: from the next unload on, its address
/// may be another object's.
pub(crate) struct Held {
    dynamic: usize,
    /// The file this handle's open checked: what it found is recorded
    /// only while the record says the same.
    id: FileId,
}

impl Held {
    /// Records one more handle of the object at `dynamic`, mapping file
    /// `id`, with `found`, and gives back what is known of the object:
    /// `found`, or, if a handle of this crate has held the object all
    /// along (so it was never unloaded) as mapping the same file `id`,
    /// what that record says.
    fn register(
        dynamic: usize,
        id: FileId,
        name: Option<Vec<u8>>,
        symbols: Option<SymbolTables>,
        found: Found,
    ) -> (Held, Found) {
        let mut held = HELD.lock();
        // What is not kept (an earlier object's finds, or the caller's when
        // the record's are lent) is dropped after the lock is released: a
        // manifest may be large.
        let (known, _dropped) = match held.iter_mut().find(|e| e.dynamic == dynamic) {
            Some(e) => {
                let same = e.holders > 0 && e.id == id;
                e.id = id;
                e.name = name;
                e.symbols = symbols;
                e.holders += 1;
                e.since = None;
                if same {
                    (e.found.clone(), Some(found))
                } else {
                    (found.clone(), Some(std::mem::replace(&mut e.found, found)))
                }
            }
            None => {
                held.push(Record {
                    dynamic,
                    id,
                    name,
                    symbols,
                    found: found.clone(),
                    holders: 1,
                    since: None,
                });
                (found, None)
            }
        };
        drop(held);
        (Held { dynamic, id }, known)
    }

    /// The file the object at `dynamic` maps, if recorded and still true
    /// (`now`: the current unload count).
    fn identity(dynamic: usize, now: Option<u64>) -> Option<FileId> {
        HELD.lock()
            .iter()
            .find(|e| e.dynamic == dynamic && e.valid(now))
            .map(|e| e.id)
    }

    /// Whether an object is recorded under the name `name` whose record
    /// still holds (`now`: the current unload count).
    fn named(name: &[u8], now: Option<u64>) -> bool {
        HELD.lock()
            .iter()
            .any(|e| e.name.as_deref() == Some(name) && e.valid(now))
    }

    /// The object recorded as mapping file `id` under the name `name`, if
    /// the record still holds (`now`: the current unload count).
    fn loaded_as(id: FileId, name: &[u8], now: Option<u64>) -> Option<Known> {
        HELD.lock()
            .iter()
            .find(|e| e.id == id && e.name.as_deref() == Some(name) && e.valid(now))
            .map(|e| Known {
                dynamic: e.dynamic,
                symbols: e.symbols,
                found: e.found.clone(),
            })
    }

    /// Records the image found of the object this handle holds, for the
    /// next open of it while it stays loaded ([`LoadedImage::recorded`]).
    pub(crate) fn record_image(&self, image: &LoadedImage) {
        if let Some(e) = self.record(&mut HELD.lock()) {
            e.found.image = Some(image.parts());
        }
    }

    /// Records `manifest`, checked in the object this handle holds, for
    /// the next open of it while it stays loaded (that open checks nothing
    /// again), and gives back the one to use: a manifest another open of
    /// the object recorded first, if any, so that all share one, else
    /// `manifest`.
    pub(crate) fn record_manifest(&self, manifest: Arc<Manifest>) -> Arc<Manifest> {
        let mut held = HELD.lock();
        let Some(e) = self.record(&mut held) else {
            return manifest;
        };
        match &e.found.manifest {
            Some(first) => {
                let first = Arc::clone(first);
                // Ours is dropped after the lock is released.
                drop(held);
                drop(manifest);
                first
            }
            None => {
                e.found.manifest = Some(Arc::clone(&manifest));
                manifest
            }
        }
    }

    /// This handle's record, if it still says the file this handle's open
    /// checked (another open may have recorded the object as mapping
    /// another file since: what this one found is then not recorded).
    fn record<'a>(&self, held: &'a mut [Record]) -> Option<&'a mut Record> {
        held.iter_mut()
            .find(|e| e.dynamic == self.dynamic && e.id == self.id)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // Read before the lock: the object is still held by this handle.
        let now = unloads();
        let mut held = HELD.lock();
        if let Some(e) = held.iter_mut().find(|e| e.dynamic == self.dynamic) {
            e.holders = e.holders.saturating_sub(1);
            if e.holders == 0 {
                e.since = now;
            }
        }
        // Forget what no longer holds, and the oldest unheld past a bound;
        // what they found is dropped after the lock is released.
        let mut forgotten = Vec::new();
        held.retain_mut(|e| {
            let keep = e.valid(now);
            if !keep {
                forgotten.push(std::mem::take(&mut e.found));
            }
            keep
        });
        let unheld = held.iter().filter(|e| e.holders == 0).count();
        let mut extra = unheld.saturating_sub(MAX_UNHELD);
        held.retain_mut(|e| {
            let drop = extra > 0 && e.holders == 0;
            extra -= usize::from(drop);
            if drop {
                forgotten.push(std::mem::take(&mut e.found));
            }
            !drop
        });
        drop(held);
        drop(forgotten);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_binarys_own_mapping_is_found_in_proc_self_maps() {
        use std::os::unix::fs::MetadataExt as _;
        let exe = std::fs::metadata(std::env::current_exe().unwrap_or_default());
        let Ok(exe) = exe else { return };
        let addr = this_binarys_own_mapping_is_found_in_proc_self_maps as fn() as usize;
        assert_eq!(
            mapped_file(addr),
            Some(FileId {
                dev: exe.dev(),
                ino: exe.ino(),
            })
        );
    }

    /// Whether this kernel has `PROCMAP_QUERY` (6.11 and later), by its
    /// release (`6.18.44-...`); `false` if unreadable.
    fn answers() -> bool {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let mut parts = release.split(|c: char| !c.is_ascii_digit());
        let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        (major, minor) >= (6, 11)
    }

    #[test]
    fn the_kernels_answer_for_one_address_is_the_texts() {
        let open = || std::fs::File::open("/proc/self/maps").ok();
        let Some(maps) = open() else { return };
        let code = the_kernels_answer_for_one_address_is_the_texts as fn() as usize;
        assert!(
            mapped_file(code).is_some(),
            "this binary's code maps a file"
        );
        let data = &raw const HELD as usize;
        let heap = Box::new(0u8);
        let heap = &raw const *heap as usize;
        for addr in [code, data, heap, 0x1000, usize::MAX - 0xfff] {
            let text = open().and_then(|m| mapped_file_in_text(m, addr));
            match query_mapping(&maps, addr) {
                Ok(answer) => assert_eq!(answer, text, "{addr:#x}"),
                // A kernel before 6.11: the text is the only answer.
                Err(e) if e.raw_os_error() == Some(libc::ENOTTY) && !answers() => return,
                Err(e) => panic!("{addr:#x}: the kernel knows the request but failed: {e}"),
            }
        }
    }

    #[test]
    fn held_records_count_handles_and_outlive_them_until_an_unload() {
        let id = FileId { dev: 1, ino: 2 };
        let (a, b) = (
            Held::register(7, id, Some(b"x".to_vec()), None, Found::default()).0,
            Held::register(7, id, Some(b"x".to_vec()), None, Found::default()).0,
        );
        let now = unloads();
        assert_eq!(Held::identity(7, now), Some(id));
        drop(a);
        assert_eq!(Held::identity(7, now), Some(id));
        assert!(Held::loaded_as(id, b"x", now).is_some());
        assert!(Held::loaded_as(id, b"y", now).is_none());
        drop(b);
        // Unheld: true while nothing was unloaded, never after.
        let next = now.map(|n| n + 1);
        assert_eq!(Held::identity(7, now), now.map(|_| id));
        assert_eq!(Held::identity(7, next), None);
    }

    #[test]
    fn a_handle_of_an_object_held_all_along_gets_what_was_found_in_it() {
        let manifest = || Arc::new(crate::types::test_manifest().1);
        let base = |found: &Found| found.image.as_ref().map(|(_, base)| *base);
        let same = |found: &Found, m: &Arc<Manifest>| {
            found.manifest.as_ref().is_some_and(|f| Arc::ptr_eq(f, m))
        };
        let (id, other) = (FileId { dev: 5, ino: 6 }, FileId { dev: 5, ino: 8 });
        let name = || Some(b"w".to_vec());
        let (a, found) = Held::register(11, id, name(), None, Found::default());
        assert_eq!(base(&found), None);
        assert!(found.manifest.is_none());
        // SAFETY: never read through (an image of nothing).
        let image = unsafe { LoadedImage::recorded(Arc::new(Regions::default()), 7) };
        a.record_image(&image);
        let m1 = manifest();
        assert!(Arc::ptr_eq(&a.record_manifest(Arc::clone(&m1)), &m1));

        // Held all along: what was found is lent, and the first manifest
        // recorded is the one every open uses.
        let (b, found) = Held::register(11, id, name(), None, Found::default());
        assert_eq!(base(&found), Some(7));
        assert!(same(&found, &m1));
        assert!(Arc::ptr_eq(&b.record_manifest(manifest()), &m1));

        // Another file recorded at the address is not lent the first's, and
        // what a handle of the first file finds is no longer recorded.
        let (c, found) = Held::register(11, other, name(), None, Found::default());
        assert_eq!(base(&found), None);
        assert!(found.manifest.is_none());
        let m3 = manifest();
        assert!(Arc::ptr_eq(&a.record_manifest(Arc::clone(&m3)), &m3));
        a.record_image(&image);
        let (d, found) = Held::register(11, other, name(), None, Found::default());
        assert!(found.manifest.is_none() && found.image.is_none());
        // SAFETY: as above.
        let image = unsafe { LoadedImage::recorded(Arc::new(Regions::default()), 9) };
        c.record_image(&image);
        drop((a, b, c, d));

        // Held by none: the next handle is lent nothing it did not bring,
        // even of the same file (the object may have been unloaded).
        let (e, found) = Held::register(11, other, name(), None, Found::default());
        assert_eq!(base(&found), None);
        drop(e);
    }

    #[test]
    fn the_image_found_is_recorded_with_the_object_and_forgotten_with_it() {
        let id = FileId { dev: 3, ino: 4 };
        let a = Held::register(9, id, Some(b"z".to_vec()), None, Found::default()).0;
        let now = unloads();
        let known = |now| Held::loaded_as(id, b"z", now).and_then(|k| k.found.image);
        assert!(known(now).is_none(), "nothing recorded before it is found");
        // SAFETY: never read through (an image of nothing).
        let image = unsafe { LoadedImage::recorded(Arc::new(Regions::default()), 5) };
        a.record_image(&image);
        assert_eq!(known(now).map(|(_, base)| base), Some(5));
        drop(a);
        // Unheld: kept while nothing was unloaded, never after.
        assert_eq!(known(now).map(|(_, base)| base), now.map(|_| 5));
        assert!(known(now.map(|n| n + 1)).is_none());
        // A new object at the same address starts without one.
        let b = Held::register(9, id, Some(b"z".to_vec()), None, Found::default()).0;
        assert!(known(now).is_none());
        drop(b);
    }
}
