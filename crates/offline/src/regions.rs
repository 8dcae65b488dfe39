//! Where metadata may live: which address ranges of a library the
//! validator may read, and which count as code. The loader computes them
//! from the program headers of the loaded image (at their run-time
//! addresses), the offline reader from those of the file (at their
//! link-time addresses), both through [`Regions::of`].

use crate::elf::{ProgramHeader, PF_R, PF_W, PF_X, PT_GNU_RELRO, PT_LOAD};

/// A readable `[start, end)` range and the program header it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First address.
    pub start: usize,
    /// One past the last address.
    pub end: usize,
    /// Index of the loadable segment's program header.
    pub segment: usize,
}

/// The ranges of one library where metadata may be read, and its code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Regions {
    readable: Vec<Region>,
    code: Vec<(usize, usize)>,
    /// Every loadable segment, whatever its flags.
    mapped: Vec<(usize, usize)>,
}

/// An ELF address or size as `usize`; on a target where it does not fit it
/// saturates, and so matches no real address.
fn saturate(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

impl Regions {
    /// The regions of an object whose program headers are `headers`, loaded
    /// `bias` bytes above its link-time addresses (0 for a file read
    /// offline):
    ///
    /// - **readable**: each loadable segment that is readable and not
    ///   writable, whole; of a writable one, only the parts that
    ///   `PT_GNU_RELRO` covers (read-only once relocations are applied).
    ///   Nothing else: bytes that the library's code may write while a
    ///   reader reads them are never metadata;
    /// - **code**: each loadable segment that is executable. Witness
    ///   addresses must lie there;
    /// - **mapped**: every loadable segment: the object's image. A symbol
    ///   whose address lies elsewhere (a dependency's definition) is not
    ///   the object's own.
    ///
    /// A segment's range is `[vaddr, vaddr + memsz)`: the part past its file
    /// bytes is zero-filled, in memory and offline alike.
    pub fn of(headers: &[ProgramHeader], bias: usize) -> Regions {
        let range = |p: &ProgramHeader| {
            let start = bias.wrapping_add(saturate(p.vaddr));
            (start, start.saturating_add(saturate(p.memsz)))
        };
        let relro: Vec<(usize, usize)> = headers
            .iter()
            .filter(|p| p.kind == PT_GNU_RELRO)
            .map(range)
            .collect();
        let mut regions = Regions::default();
        for (segment, p) in headers.iter().enumerate() {
            if p.kind != PT_LOAD {
                continue;
            }
            let r = range(p);
            regions.mapped.push(r);
            if p.flags & PF_X != 0 {
                regions.code.push(r);
            }
            if p.flags & PF_R == 0 {
                continue;
            }
            let region = |(start, end)| Region {
                start,
                end,
                segment,
            };
            if p.flags & PF_W == 0 {
                if r.0 < r.1 {
                    regions.readable.push(region(r));
                }
            } else {
                regions
                    .readable
                    .extend(relro.iter().filter_map(|&rr| intersect(r, rr)).map(region));
            }
        }
        regions
    }

    /// The readable regions.
    pub fn readable(&self) -> &[Region] {
        &self.readable
    }

    /// The readable region that holds all of `[addr, addr + len)`, if one
    /// does (`None` also if the range overflows).
    pub fn region_of(&self, addr: usize, len: usize) -> Option<&Region> {
        let end = addr.checked_add(len)?;
        self.readable
            .iter()
            .find(|r| r.start <= addr && end <= r.end)
    }

    /// Whether `addr` lies in an executable segment.
    pub fn is_code(&self, addr: usize) -> bool {
        self.code.iter().any(|&(s, e)| (s..e).contains(&addr))
    }

    /// Whether `addr` lies in one of the object's loadable segments.
    pub fn is_mapped(&self, addr: usize) -> bool {
        self.mapped.iter().any(|&(s, e)| (s..e).contains(&addr))
    }

    /// How many bytes the readable regions hold together (saturating).
    pub fn readable_bytes(&self) -> usize {
        self.readable
            .iter()
            .fold(0usize, |n, r| n.saturating_add(r.end - r.start))
    }
}

fn intersect(a: (usize, usize), b: (usize, usize)) -> Option<(usize, usize)> {
    let (s, e) = (a.0.max(b.0), a.1.min(b.1));
    (s < e).then_some((s, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vaddr: u64, memsz: u64, flags: u32) -> ProgramHeader {
        ProgramHeader {
            kind: PT_LOAD,
            flags,
            vaddr,
            memsz,
            filesz: memsz,
            offset: vaddr,
        }
    }

    #[test]
    fn read_only_and_relro_are_readable_writable_data_is_not() {
        let headers = [
            load(0, 0x1000, PF_R),
            load(0x1000, 0x1000, PF_R | PF_X),
            load(0x2000, 0x2000, PF_R | PF_W),
            ProgramHeader {
                kind: PT_GNU_RELRO,
                flags: PF_R,
                vaddr: 0x2000,
                memsz: 0x800,
                ..ProgramHeader::default()
            },
        ];
        let r = Regions::of(&headers, 0x10_0000);
        assert!(r.region_of(0x10_0000, 0x1000).is_some());
        assert!(r.region_of(0x10_0fff, 2).is_none(), "crosses two segments");
        assert!(r.region_of(0x10_2000, 0x800).is_some(), "RELRO");
        assert!(r.region_of(0x10_2800, 8).is_none(), "writable data");
        assert!(r.region_of(usize::MAX, 2).is_none());
        assert!(r.is_code(0x10_1000) && !r.is_code(0x10_0000));
        assert!(r.is_mapped(0x10_0000) && r.is_mapped(0x10_3fff));
        assert!(!r.is_mapped(0x10_4000) && !r.is_mapped(0x0f_ffff));
        assert_eq!(r.readable_bytes(), 0x2000 + 0x800);
    }
}
