//! The 64-bit layout fingerprint: FNV-1a over a canonical byte stream of the
//! layout (size, alignment, stride, then each exported field's name, offset
//! and type identity, in declaration order). Equal fingerprints mean identical
//! layouts (up to a 64-bit hash collision); `docs/FORMAT.md` gives the stream.
//!
//! It is computed twice, by the producer at compile time from the records and
//! by the validator from the checked layout; both walk the same stream, and a
//! test holds them to it.

use crate::format::{EnumDescriptor, FieldDescriptor, TypeIdentity};
use crate::layout::{EnumLayout, FieldLayout, Identity};

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// `PRIME^k` for `k` in `0..=8` (wrapping): a run of `k` zero bytes hashes
/// as one multiplication by it, since `h ^ 0 == h`.
const PRIME_POWERS: [u64; 9] = {
    let mut p = [1u64; 9];
    let mut k = 1;
    while k < 9 {
        p[k] = p[k - 1].wrapping_mul(PRIME);
        k += 1;
    }
    p
};

#[derive(Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) const fn new() -> Self {
        Fnv(OFFSET_BASIS)
    }
    pub(crate) const fn byte(self, b: u8) -> Self {
        Fnv((self.0 ^ b as u64).wrapping_mul(PRIME))
    }
    pub(crate) const fn word(self, w: u64) -> Self {
        let bytes = w.to_le_bytes();
        // The bytes past the highest nonzero one are zeros: each would only
        // multiply by the prime, so together they are one multiplication
        // by its power (the same hash, a shorter chain of multiplications:
        // the words of a layout are mostly small numbers).
        let used = 8 - (w.leading_zeros() / 8) as usize;
        let mut h = self;
        let mut i = 0;
        while i < used {
            h = h.byte(bytes[i]);
            i += 1;
        }
        Fnv(h.0.wrapping_mul(PRIME_POWERS[8 - used]))
    }
    pub(crate) const fn str(self, s: &str) -> Self {
        let bytes = s.as_bytes();
        let mut h = self.word(bytes.len() as u64);
        let mut i = 0;
        while i < bytes.len() {
            h = h.byte(bytes[i]);
            i += 1;
        }
        h
    }
    pub(crate) const fn finish(self) -> u64 {
        self.0
    }
}

const fn identity_record(h: Fnv, id: &TypeIdentity) -> Fnv {
    let h = h
        .word(id.kind() as u64)
        .str(id.name())
        .word(id.size() as u64)
        .word(id.align() as u64)
        .word(id.count() as u64);
    match id.element() {
        Some(e) => identity_record(h.byte(1), e),
        None => h.byte(0),
    }
}

/// Fingerprint of a layout given as records (the producer's side).
pub(crate) const fn of_descriptor(
    size: usize,
    align: usize,
    stride: usize,
    fields: &[FieldDescriptor],
) -> u64 {
    let mut h = Fnv::new()
        .word(size as u64)
        .word(align as u64)
        .word(stride as u64)
        .word(fields.len() as u64);
    let mut i = 0;
    while i < fields.len() {
        let f = &fields[i];
        h = identity_record(h.str(f.name()).word(f.offset() as u64), f.identity());
        i += 1;
    }
    h.finish()
}

fn identity_checked(h: Fnv, id: &Identity) -> Fnv {
    let h = h
        .word(u64::from(id.kind_code()))
        .str(id.name())
        .word(id.size() as u64)
        .word(id.align() as u64)
        .word(id.count() as u64);
    match id.element() {
        Some(e) => identity_checked(h.byte(1), e),
        None => h.byte(0),
    }
}

/// Fingerprint of a checked layout (the validator's side).
pub(crate) fn of_layout(size: usize, align: usize, stride: usize, fields: &[FieldLayout]) -> u64 {
    let mut h = Fnv::new()
        .word(size as u64)
        .word(align as u64)
        .word(stride as u64)
        .word(fields.len() as u64);
    for f in fields {
        h = identity_checked(h.str(&f.name).word(f.offset as u64), &f.identity);
    }
    h.finish()
}

/// An enum's stream: a marker byte 0xE, size, alignment, stride, the tag
/// (`(offset, size)`, or none), whether payloads are plain, then each case
/// (name, tag, then its payload fields as a struct's fields).
const ENUM_MARK: u8 = 0x0e;

/// Fingerprint of an enum given as records (the producer's side).
pub(crate) const fn of_enum_descriptor(
    size: usize,
    align: usize,
    stride: usize,
    info: &EnumDescriptor,
) -> u64 {
    let mut h = Fnv::new()
        .byte(ENUM_MARK)
        .word(size as u64)
        .word(align as u64)
        .word(stride as u64);
    h = match info.plain_tag() {
        Some((offset, tag_size)) => h.byte(1).word(offset as u64).word(tag_size as u64),
        None => h.byte(0),
    };
    let payload_plain = info.enum_flags() & crate::format::enum_flags::PAYLOAD_PLAIN != 0;
    h = h.byte(payload_plain as u8);
    let cases = info.cases();
    h = h.word(cases.len() as u64);
    let mut c = 0;
    while c < cases.len() {
        let case = &cases[c];
        let fields = case.fields();
        h = h
            .str(case.name())
            .word(case.tag())
            .word(fields.len() as u64);
        let mut i = 0;
        while i < fields.len() {
            let f = &fields[i];
            h = identity_record(h.str(f.name()).word(f.offset() as u64), f.identity());
            i += 1;
        }
        c += 1;
    }
    h.finish()
}

/// Fingerprint of a checked enum layout (the validator's side).
pub(crate) fn of_enum_layout(size: usize, align: usize, stride: usize, e: &EnumLayout) -> u64 {
    let mut h = Fnv::new()
        .byte(ENUM_MARK)
        .word(size as u64)
        .word(align as u64)
        .word(stride as u64);
    h = match e.tag {
        Some((offset, tag_size)) => h.byte(1).word(offset as u64).word(u64::from(tag_size)),
        None => h.byte(0),
    };
    h = h.byte(u8::from(e.payload_plain));
    h = h.word(e.cases.len() as u64);
    for case in &e.cases {
        h = h
            .str(&case.name)
            .word(case.tag)
            .word(case.fields.len() as u64);
        for f in &case.fields {
            h = identity_checked(h.str(&f.name).word(f.offset as u64), &f.identity);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Fnv::word` as the stream defines it: eight bytes, little-endian.
    fn word_bytewise(h: Fnv, w: u64) -> Fnv {
        w.to_le_bytes().iter().fold(h, |h, &b| h.byte(b))
    }

    #[test]
    fn a_word_hashes_as_its_eight_bytes() {
        let mut values = vec![0, 1, 8, 0xff, 0x100, 0xffff, 1 << 56, u64::MAX];
        // Every byte count, with zeros inside as well as above.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for k in 0..=64 {
            x = x.rotate_left(7) ^ x.wrapping_mul(3);
            values.push(if k == 64 { x } else { x & ((1u64 << k) - 1) });
            values.push(1u64.checked_shl(k).unwrap_or(0));
        }
        for seed in [Fnv::new(), Fnv::new().byte(0x5a)] {
            for &w in &values {
                assert_eq!(
                    seed.word(w).finish(),
                    word_bytewise(seed, w).finish(),
                    "{w:#x}"
                );
            }
        }
    }
}
