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
//! For objects this crate loaded and still holds, the identity checked
//! before loading is recorded by object (the address of its dynamic
//! section, unique while it is loaded): reopening a library already held
//! costs no system call. For an object loaded by someone else, the mapping
//! of its dynamic section in `/proc/self/maps` names the device and inode
//! (reading it costs tens of microseconds, so only then). If that cannot be
//! read, or names another file (as on overlay file systems, which report
//! the lower file there), the file is loaded by the symlink, which is
//! right in every case.
//!
//! Left open: a `rename` over the path between the pre-flight and a
//! `dlopen` that loads the path for the first time loads the new file
//! unchecked (the window is one `dlopen`; installers rename once).

use std::ffi::{c_int, c_void};
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use libloading::os::unix::Library as UnixLibrary;
use parking_lot::Mutex;
use resilient_offline::elf::PT_DYNAMIC;
use resilient_offline::{FileId, Preflight};

use crate::Error;

/// A library handed to the dynamic loader, known to map the checked file.
pub(crate) struct Opened {
    /// Dropped first: the object is forgotten before it may be unloaded.
    pub(crate) _held: Held,
    /// The dynamic loader's handle.
    pub(crate) lib: libloading::Library,
    /// The run-time address of the object's dynamic section.
    pub(crate) dynamic: usize,
}

/// Runs the pre-flight on `path`, loads it, and makes sure that the object
/// loaded is the file checked.
pub(crate) fn open(path: &Path) -> Result<Opened, Error> {
    let checked = resilient_offline::preflight(path).map_err(|e| match e {
        resilient_offline::Error::Io { path, source } => Error::Io { path, source },
        source => Error::Malformed {
            path: path.to_path_buf(),
            source: Box::new(source),
        },
    })?;
    let before = loaded_objects();
    let (mut lib, mut dynamic) = dlopen(path, path)?;
    // An object loaded by this call was opened from the path; one loaded
    // before may have been matched by name and map another file.
    if before.contains(&dynamic) && !maps(dynamic, checked.id) {
        drop(lib);
        (lib, dynamic) = open_by_descriptor(&checked)?;
    }
    Ok(Opened {
        _held: Held::register(dynamic, checked.id),
        lib,
        dynamic,
    })
}

/// `dlopen(name)` (`RTLD_LAZY | RTLD_LOCAL`, as `libloading`), and the
/// address of the object's dynamic section. Errors name `path`.
fn dlopen(name: &Path, path: &Path) -> Result<(libloading::Library, usize), Error> {
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
    let dynamic = if rc == 0 && !map.is_null() {
        // SAFETY: on success `map` points at the object's `link_map`
        // (glibc's and musl's begin with these public fields), valid while
        // the handle keeps the object loaded; we copy one field.
        unsafe { (*map).l_ld as usize }
    } else {
        0
    };
    // SAFETY: `handle` came from `into_raw` above and is used once.
    let lib = unsafe { UnixLibrary::from_raw(handle) };
    Ok((lib.into(), dynamic))
}

/// Loads the checked file through a fresh symlink to its open descriptor
/// (see the module docs for why this name).
fn open_by_descriptor(checked: &Preflight) -> Result<(libloading::Library, usize), Error> {
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
    _l_name: *const std::ffi::c_char,
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
    if let Some(known) = Held::identity(dynamic) {
        return known == id;
    }
    mapped_file(dynamic) == Some(id)
}

/// The device and inode of the file mapped at `addr`, from
/// `/proc/self/maps` (`start-end perms offset major:minor inode path`).
fn mapped_file(addr: usize) -> Option<FileId> {
    use std::io::BufRead as _;
    let maps = std::fs::File::open("/proc/self/maps").ok()?;
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

/// Which file each object this crate holds maps, by the address of its
/// dynamic section, with a count of the handles that hold it.
static HELD: Mutex<Vec<(usize, FileId, usize)>> = Mutex::new(Vec::new());

/// One handle's record that the object at `dynamic` maps a file.
/// Dropping it (before the handle is closed) forgets the object once no
/// handle holds it: after that, its address may be another object's.
pub(crate) struct Held {
    dynamic: usize,
}

impl Held {
    fn register(dynamic: usize, id: FileId) -> Held {
        let mut held = HELD.lock();
        match held.iter_mut().find(|e| e.0 == dynamic) {
            Some(e) => {
                e.1 = id;
                e.2 += 1;
            }
            None => held.push((dynamic, id, 1)),
        }
        Held { dynamic }
    }

    fn identity(dynamic: usize) -> Option<FileId> {
        HELD.lock().iter().find(|e| e.0 == dynamic).map(|e| e.1)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = HELD.lock();
        if let Some(i) = held.iter().position(|e| e.0 == self.dynamic) {
            if let Some(e) = held.get_mut(i) {
                e.2 -= 1;
                if e.2 == 0 {
                    held.swap_remove(i);
                }
            }
        }
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

    #[test]
    fn held_records_count_handles() {
        let id = FileId { dev: 1, ino: 2 };
        let (a, b) = (Held::register(7, id), Held::register(7, id));
        assert_eq!(Held::identity(7), Some(id));
        drop(a);
        assert_eq!(Held::identity(7), Some(id));
        drop(b);
        assert_eq!(Held::identity(7), None);
    }
}
