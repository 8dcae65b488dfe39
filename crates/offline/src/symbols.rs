//! A library's dynamic symbols, as the dynamic loader finds them: the one
//! reader of the dynamic symbol table behind the C symbol rule
//! (`layout_meta::verify_c_symbols`), for a file read offline and for a
//! loaded library alike.
//!
//! Where the tables are comes from the section headers
//! ([`SymbolTables::from_section_headers`]: `.dynsym`, its string table,
//! its GNU or SysV hash table, its version table). Their bytes are read
//! through a bounded [`Memory`] at `bias` plus their link-time addresses:
//! the offline image (bias 0), or the loaded object (its load bias), whose
//! read-only segment holds them. [`DynamicSymbols`] then answers:
//!
//! - **by name** ([`SymbolTable::address_of`]), as `dlsym` on the
//!   library's handle finds a symbol in the object itself: through the
//!   hash table, as glibc looks it up (GNU hash with its Bloom filter, else
//!   SysV hash), the first symbol of the name that is exported data
//!   ([`exported_data`]), not of a hidden version, inside one of the
//!   object's loadable segments. A definition in a dependency never
//!   counts: only this object's table is read;
//! - **by address** ([`SymbolTable::name_at`]), as `dladdr` names an
//!   address: the first symbol in table order defined exactly there that
//!   `dladdr` may report ([`named_by_dladdr`]).
//!
//! Every read is bounded (a hostile table is an absent symbol, never a
//! crash), and a lookup by name walks one hash chain, bounded by the
//! number of symbols.

use layout_meta::{Memory, SymbolTable};

use crate::regions::Regions;

/// Size of an ELF64 section header.
pub const SHDR_SIZE: usize = 64;
/// Size of an ELF64 symbol.
pub const SYM_SIZE: usize = 24;
/// `sh_type` of the dynamic symbol table.
pub const SHT_DYNSYM: u32 = 11;
/// `sh_type` of a SysV hash table.
pub const SHT_HASH: u32 = 5;
/// `sh_type` of a GNU hash table.
pub const SHT_GNU_HASH: u32 = 0x6fff_fff6;
/// `sh_type` of a symbol version table.
pub const SHT_GNU_VERSYM: u32 = 0x6fff_ffff;
/// Most section headers read for the symbol tables (real libraries have a
/// few dozen); a file with more is read as having no symbol tables.
pub const MAX_SECTIONS: usize = 4096;

const SHN_UNDEF: u16 = 0;
const SHN_LORESERVE: u16 = 0xff00;
const SHN_ABS: u16 = 0xfff1;
const STB_GLOBAL: u8 = 1;
const STB_WEAK: u8 = 2;
const STB_GNU_UNIQUE: u8 = 10;
const STT_NOTYPE: u8 = 0;
const STT_OBJECT: u8 = 1;
const STT_FUNC: u8 = 2;
const STT_TLS: u8 = 6;
const STV_DEFAULT: u8 = 0;
const STV_PROTECTED: u8 = 3;

/// Where a file's dynamic symbol tables are, at link-time addresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SymbolTables {
    /// `.dynsym`: address and size.
    pub dynsym: (u64, u64),
    /// Its string table: address and size.
    pub dynstr: (u64, u64),
    /// Its GNU hash table's address, if any.
    pub gnu_hash: Option<u64>,
    /// Its SysV hash table's address, if any.
    pub hash: Option<u64>,
    /// Its version table's address, if any.
    pub versym: Option<u64>,
}

/// Reads `N` bytes at `at` of `bytes` in this machine's byte order (0 past
/// the end).
fn field<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(b) = bytes.get(at..at.saturating_add(N)) {
        out.copy_from_slice(b);
    }
    out
}
fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes(field(bytes, at))
}
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(field(bytes, at))
}
fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(field(bytes, at))
}

impl SymbolTables {
    /// The tables the section header table `raw` (whole 64-byte headers)
    /// describes: the first `SHT_DYNSYM` section, the string table its
    /// `sh_link` names, and the GNU hash, SysV hash and version tables
    /// linked to it. `None` without a dynamic symbol table.
    pub fn from_section_headers(raw: &[u8]) -> Option<SymbolTables> {
        let count = (raw.len() / SHDR_SIZE).min(MAX_SECTIONS);
        let header = |i: usize| raw.get(i * SHDR_SIZE..(i + 1) * SHDR_SIZE);
        let headers = || (0..count).filter_map(header);
        let kind = |h: &[u8]| u32_at(h, 4);
        let addr = |h: &[u8]| u64_at(h, 16);
        let size = |h: &[u8]| u64_at(h, 32);
        let link = |h: &[u8]| u32_at(h, 40) as usize;
        let (index, dynsym) = headers().enumerate().find(|(_, h)| kind(h) == SHT_DYNSYM)?;
        let strings = Some(link(dynsym)).filter(|&i| i < count).and_then(header)?;
        let linked = |t: u32| {
            headers()
                .find(|h| kind(h) == t && link(h) == index)
                .map(addr)
        };
        Some(SymbolTables {
            dynsym: (addr(dynsym), size(dynsym)),
            dynstr: (addr(strings), size(strings)),
            gnu_hash: linked(SHT_GNU_HASH),
            hash: linked(SHT_HASH),
            versym: linked(SHT_GNU_VERSYM),
        })
    }
}

/// One symbol's fields that the rules read.
#[derive(Clone, Copy, Debug)]
struct Sym {
    name: u32,
    info: u8,
    other: u8,
    shndx: u16,
    value: u64,
}

impl Sym {
    fn binding(self) -> u8 {
        self.info >> 4
    }
    fn kind(self) -> u8 {
        self.info & 0xf
    }
}

/// Whether a dynamic symbol is one that `dlsym` on its object finds, as
/// data at an address inside it: defined in a section of the file (not
/// undefined, absolute or common), with global, weak or unique binding,
/// default or protected visibility, of no type, object or function type
/// (not thread-local, not an indirect function whose value code computes),
/// and a nonzero value. (Symbol versions are the caller's: a hidden
/// version is never found by an unversioned `dlsym`.)
pub fn exported_data(info: u8, other: u8, shndx: u16, value: u64) -> bool {
    let s = Sym {
        name: 0,
        info,
        other,
        shndx,
        value,
    };
    let defined = s.shndx != SHN_UNDEF && s.shndx < SHN_LORESERVE;
    let bound = matches!(s.binding(), STB_GLOBAL | STB_WEAK | STB_GNU_UNIQUE);
    let visible = matches!(s.other & 3, STV_DEFAULT | STV_PROTECTED);
    let typed = matches!(s.kind(), STT_NOTYPE | STT_OBJECT | STT_FUNC);
    defined && bound && visible && typed && s.value != 0
}

/// Whether `dladdr` may report a dynamic symbol for an address it is
/// defined at: defined in this file (not undefined or absolute), not
/// thread-local, with global, weak or unique binding (those the hash
/// tables hold), and a nonzero value. `dladdr` reads no symbol versions.
pub fn named_by_dladdr(info: u8, shndx: u16, value: u64) -> bool {
    let defined = shndx != SHN_UNDEF && shndx != SHN_ABS;
    let bound = matches!(info >> 4, STB_GLOBAL | STB_WEAK | STB_GNU_UNIQUE);
    defined && bound && info & 0xf != STT_TLS && value != 0
}

/// Whether a symbol version index (`.gnu.version`) hides the symbol from
/// an unversioned lookup: the hidden bit on a version of its own (index 2
/// or more).
pub fn hidden_version(versym: u16) -> bool {
    versym & 0x8000 != 0 && versym & 0x7fff >= 2
}

/// The GNU hash of a name (`dl_new_hash`).
fn gnu_hash(name: &[u8]) -> u32 {
    name.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

/// The SysV ELF hash of a name (`_dl_elf_hash`).
fn sysv_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &c in name {
        h = (h << 4).wrapping_add(u32::from(c));
        let g = h & 0xf000_0000;
        h ^= g >> 24;
        h &= !g;
    }
    h
}

/// An object's dynamic symbols read through `mem` (see the module docs).
pub struct DynamicSymbols<'a> {
    /// The symbol table (whole symbols), the string table, the version
    /// table: each as much as is readable, empty if none is.
    syms: &'a [u8],
    strings: &'a [u8],
    versions: &'a [u8],
    hash: Hash<'a>,
    bias: usize,
    regions: &'a Regions,
}

/// A hash table, its parts read once.
enum Hash<'a> {
    None,
    Gnu {
        symoffset: usize,
        bloom_shift: u32,
        bloom: &'a [u8],
        buckets: &'a [u8],
        chains: &'a [u8],
    },
    Sysv {
        buckets: &'a [u8],
        chains: &'a [u8],
    },
}

/// `n` elements of `size` bytes as a byte length, if it fits.
fn len(n: u64, size: u64) -> Option<usize> {
    usize::try_from(n.checked_mul(size)?).ok()
}

impl<'a> DynamicSymbols<'a> {
    /// The symbols of the object whose tables are `tables` (link-time
    /// addresses), read through `mem` at `bias` above them; `regions` are
    /// the object's (at run-time addresses), where a symbol found by name
    /// must lie. Each table is read once, here; a table that is not
    /// readable where `tables` says is empty.
    pub fn new<M: Memory + ?Sized>(
        mem: &'a M,
        bias: usize,
        tables: SymbolTables,
        regions: &'a Regions,
    ) -> Self {
        let bytes = |addr: u64, len: usize| -> Option<&'a [u8]> {
            let at = usize::try_from(addr).ok()?.wrapping_add(bias);
            mem.read(at, len)
        };
        let count = tables.dynsym.1 / SYM_SIZE as u64;
        let syms = len(count, SYM_SIZE as u64)
            .and_then(|n| bytes(tables.dynsym.0, n))
            .unwrap_or_default();
        let count = (syms.len() / SYM_SIZE) as u64;
        let strings = usize::try_from(tables.dynstr.1)
            .ok()
            .and_then(|n| bytes(tables.dynstr.0, n))
            .unwrap_or_default();
        let versions = tables
            .versym
            .and_then(|at| bytes(at, len(count, 2)?))
            .unwrap_or_default();
        let gnu = |table: u64| -> Option<Hash<'a>> {
            let head = bytes(table, 16)?;
            let (nbuckets, symoffset) = (u64::from(u32_at(head, 0)), u64::from(u32_at(head, 4)));
            let (bloom_size, bloom_shift) = (u64::from(u32_at(head, 8)), u32_at(head, 12));
            let bloom_at = table.checked_add(16)?;
            let bloom = bytes(bloom_at, len(bloom_size, 8)?)?;
            let buckets_at = bloom_at.checked_add(bloom.len() as u64)?;
            let buckets = bytes(buckets_at, len(nbuckets, 4)?)?;
            let chains_at = buckets_at.checked_add(buckets.len() as u64)?;
            let chains = bytes(chains_at, len(count.saturating_sub(symoffset), 4)?)?;
            Some(Hash::Gnu {
                symoffset: usize::try_from(symoffset).ok()?,
                bloom_shift,
                bloom,
                buckets,
                chains,
            })
        };
        let sysv = |table: u64| -> Option<Hash<'a>> {
            let head = bytes(table, 8)?;
            let (nbucket, nchain) = (u64::from(u32_at(head, 0)), u64::from(u32_at(head, 4)));
            let buckets_at = table.checked_add(8)?;
            let buckets = bytes(buckets_at, len(nbucket, 4)?)?;
            let chains = bytes(
                buckets_at.checked_add(buckets.len() as u64)?,
                len(nchain, 4)?,
            )?;
            Some(Hash::Sysv { buckets, chains })
        };
        // glibc prefers the GNU table; an unreadable table finds nothing.
        let hash = match (tables.gnu_hash, tables.hash) {
            (Some(t), _) => gnu(t),
            (None, Some(t)) => sysv(t),
            (None, None) => None,
        }
        .unwrap_or(Hash::None);
        DynamicSymbols {
            syms,
            strings,
            versions,
            hash,
            bias,
            regions,
        }
    }

    fn count(&self) -> usize {
        self.syms.len() / SYM_SIZE
    }

    fn sym(&self, i: usize) -> Option<Sym> {
        let b = self.syms.get(i.checked_mul(SYM_SIZE)?..)?;
        Some(Sym {
            name: u32_at(b, 0),
            info: *b.get(4)?,
            other: *b.get(5)?,
            shndx: u16_at(b, 6),
            value: u64_at(b, 8),
        })
    }

    /// The bytes of a name at offset `at` of the string table, up to its
    /// NUL (none if it runs past the table).
    fn name(&self, at: u32) -> Option<&'a [u8]> {
        let tail = self.strings.get(at as usize..)?;
        let end = tail.iter().position(|&b| b == 0)?;
        tail.get(..end)
    }

    /// Whether the name at offset `at` of the string table is `name` (its
    /// bytes, then the NUL), without looking for the NUL first.
    fn named(&self, at: u32, name: &[u8]) -> bool {
        let at = at as usize;
        let end = at.saturating_add(name.len());
        self.strings.get(at..end) == Some(name) && self.strings.get(end) == Some(&0)
    }

    fn version(&self, i: usize) -> u16 {
        u16_at(self.versions, i.saturating_mul(2))
    }

    /// The run-time address of symbol `i` if it is named `name` and `dlsym`
    /// finds it there.
    fn found(&self, i: usize, name: &[u8]) -> Option<usize> {
        let s = self.sym(i)?;
        if !exported_data(s.info, s.other, s.shndx, s.value)
            || !self.named(s.name, name)
            || hidden_version(self.version(i))
        {
            return None;
        }
        let at = usize::try_from(s.value).ok()?.wrapping_add(self.bias);
        self.regions.is_mapped(at).then_some(at)
    }

    /// Through the GNU hash table, as glibc's `do_lookup_x` walks it.
    fn gnu_lookup(
        &self,
        name: &[u8],
        (symoffset, bloom_shift, bloom, buckets, chains): (usize, u32, &[u8], &[u8], &[u8]),
    ) -> Option<usize> {
        let (words, nbuckets) = (bloom.len() / 8, buckets.len() / 4);
        if nbuckets == 0 || words == 0 {
            return None;
        }
        let h = gnu_hash(name);
        // glibc masks the word index with `size - 1`.
        let slot = ((h as usize) / 64) & (words - 1);
        let bits = u64_at(bloom, slot * 8);
        let mask = (1u64 << (h % 64)) | (1u64 << ((h >> (bloom_shift % 32)) % 64));
        if bits & mask != mask {
            return None;
        }
        let first = u32_at(buckets, (h as usize % nbuckets) * 4) as usize;
        if first == 0 || first < symoffset {
            return None;
        }
        for i in first..self.count() {
            let c = u32_at(chains, (i - symoffset) * 4);
            if (c ^ h) >> 1 == 0 {
                if let Some(found) = self.found(i, name) {
                    return Some(found);
                }
            }
            if c & 1 != 0 {
                break;
            }
        }
        None
    }

    /// Through the SysV hash table, as glibc walks it.
    fn sysv_lookup(&self, name: &[u8], buckets: &[u8], chains: &[u8]) -> Option<usize> {
        let nbucket = buckets.len() / 4;
        if nbucket == 0 {
            return None;
        }
        let mut i = u32_at(buckets, (sysv_hash(name) as usize % nbucket) * 4) as usize;
        // At most one step per chain entry: a cycle ends here.
        for _ in 0..(chains.len() / 4).min(self.count()) {
            if i == 0 {
                break;
            }
            if let Some(found) = self.found(i, name) {
                return Some(found);
            }
            i = u32_at(chains, i.checked_mul(4)?) as usize;
        }
        None
    }
}

impl SymbolTable for DynamicSymbols<'_> {
    fn address_of(&self, name: &str) -> Option<usize> {
        let name = name.as_bytes();
        match &self.hash {
            Hash::Gnu {
                symoffset,
                bloom_shift,
                bloom,
                buckets,
                chains,
            } => self.gnu_lookup(name, (*symoffset, *bloom_shift, bloom, buckets, chains)),
            Hash::Sysv { buckets, chains } => self.sysv_lookup(name, buckets, chains),
            Hash::None => None,
        }
    }

    fn name_at(&self, addr: usize) -> Option<String> {
        (0..self.count())
            .filter_map(|i| self.sym(i))
            .filter(|s| {
                named_by_dladdr(s.info, s.shndx, s.value)
                    && usize::try_from(s.value).is_ok_and(|v| v.wrapping_add(self.bias) == addr)
            })
            .find_map(|s| self.name(s.name))
            .map(|n| String::from_utf8_lossy(n).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_the_dynamic_loaders() {
        // Values from the GNU and SysV hash definitions.
        assert_eq!(gnu_hash(b""), 5381);
        assert_eq!(gnu_hash(b"printf"), 0x156b_2bb8);
        assert_eq!(sysv_hash(b"printf"), 0x0779_05a6);
    }

    #[test]
    fn versions_hide_only_their_own() {
        assert!(!hidden_version(0));
        assert!(!hidden_version(1));
        assert!(!hidden_version(0x8001));
        assert!(hidden_version(0x8002));
        assert!(!hidden_version(2));
    }
}
