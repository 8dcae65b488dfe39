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
        let mut h = self;
        let mut i = 0;
        while i < 8 {
            h = h.byte(bytes[i]);
            i += 1;
        }
        h
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
