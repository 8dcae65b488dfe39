//! Views described as data and bound at run time: the value side of the C
//! API (`crates/capi`), and so of the C and C++ hosts.
//!
//! A [`DynView`] is a [`ViewNeed`] built field by field (module, type, each
//! field's name, whether it is required, how it is reached and the identity
//! it must have). Whether it binds is decided by the one view rule,
//! [`layout_meta::compat::bind_view`]; [`DynBound::new`] then turns the
//! verdict's placement into field tokens ([`DynToken`]) and a binding id
//! that no other binding in the process ever has, so a token can only be
//! used on values of the binding it came from.
//!
//! Field access is by bytes: a read copies the field into a buffer of
//! exactly its size, a write copies a buffer of exactly its size in. Fields
//! of types with invalid bit patterns are checked with the same
//! `bytemuck::CheckedBitPattern` rules the typed handles use
//! ([`crate::Ref::get_checked`]): a `bool` must be 0 or 1, a `char` a
//! Unicode scalar value, elementwise for arrays of them. A write of invalid
//! bytes is refused before anything is written; a read of invalid bytes (a
//! library that stored them) is reported.
//!
//! Values live on the heap ([`DynValue`]) or in room the caller provides
//! ([`DynBound::init_at`], [`DynBound::drop_at`]); their witnesses run
//! exactly once, through the helpers [`crate::Value`] uses.

use core::fmt;
use core::mem::size_of;
use std::sync::Arc;

use bytemuck::CheckedBitPattern;
use layout_meta::compat::{Access, Mismatch, Placement};
use layout_meta::needs::{FieldNeed, ViewNeed};
use layout_meta::{FieldType, Identity};

use crate::foreign::{BindingId, ForeignType, Origin};
use crate::value::{clone_into, drop_values, init_default, Block};
use crate::Error;

/// The scalars a view described as data may name, with their identities on
/// this target (the [`FieldType`] records of the Rust types).
fn scalar_record(name: &str) -> Option<layout_meta::TypeIdentity> {
    macro_rules! table {
        ($($t:ty),*) => {
            match name {
                $( stringify!($t) => Some(<$t as FieldType>::IDENTITY), )*
                _ => None,
            }
        };
    }
    table!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char)
}

/// The identity of the scalar `name` (`u8` ... `u128`, `i8` ... `i128`,
/// `usize`, `isize`, `f32`, `f64`, `bool`, `char`), with its size and
/// alignment on this target.
///
/// # Errors
///
/// [`Error::BadView`] for any other name.
pub fn scalar(name: &str) -> Result<Identity, Error> {
    scalar_record(name)
        .map(|r| Identity::from_record(&r))
        .ok_or_else(|| Error::BadView {
            reason: format!("`{name}` is not a scalar name (u8..u128, i8..i128, usize, isize, f32, f64, bool, char)"),
        })
}

/// The identity of an array of `count` elements of `element`.
///
/// # Errors
///
/// [`Error::BadView`] if the array would be larger than
/// [`layout_meta::limits::MAX_SIZE`], or `element` is a resilient type (an
/// array of one is never reached by value, nor nested).
pub fn array(element: Identity, count: usize) -> Result<Identity, Error> {
    let size = element
        .size()
        .checked_mul(count)
        .filter(|&s| s <= layout_meta::limits::MAX_SIZE)
        .ok_or_else(|| Error::BadView {
            reason: format!("an array of {count} elements of {element} is too large"),
        })?;
    Ok(Identity::Array {
        align: element.align(),
        element: Box::new(element),
        count,
        size,
    })
}

/// The identity of a named type of fixed layout (an opaque type).
///
/// # Errors
///
/// [`Error::BadView`] if the name is empty, the alignment is not a power of
/// two (at most [`layout_meta::limits::MAX_ALIGN`]) or the size is not a
/// multiple of it (at most [`layout_meta::limits::MAX_SIZE`]).
pub fn opaque(name: &str, size: usize, align: usize) -> Result<Identity, Error> {
    let ok = !name.is_empty()
        && align.is_power_of_two()
        && align <= layout_meta::limits::MAX_ALIGN
        && size % align == 0
        && size <= layout_meta::limits::MAX_SIZE;
    if !ok {
        return Err(Error::BadView {
            reason: format!(
                "opaque type `{name}` of {size} bytes, align {align}: a name, a power-of-two alignment and a size that is a multiple of it are needed"
            ),
        });
    }
    Ok(Identity::Opaque {
        name: name.into(),
        size,
        align,
    })
}

/// The identity a nested field of resilient type `name` is expected to
/// have (as `Nested<V>` of a view of `name` expects: the name only).
///
/// # Errors
///
/// [`Error::BadView`] if the name is empty.
pub fn nested(name: &str) -> Result<Identity, Error> {
    if name.is_empty() {
        return Err(Error::BadView {
            reason: "a nested type needs a name".into(),
        });
    }
    // What `Nested<V>` expects (`TypeIdentity::resilient::<()>`): the name
    // alone counts; size and alignment are the library's.
    Ok(Identity::Resilient {
        name: name.into(),
        size: 0,
        align: 1,
    })
}

/// A view described as data: what a consumer needs of one foreign type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynView {
    need: ViewNeed,
}

impl DynView {
    /// A view of type `type_name` of module `module`, with no fields yet.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if a name is empty.
    pub fn new(module: &str, type_name: &str) -> Result<Self, Error> {
        if module.is_empty() || type_name.is_empty() {
            return Err(Error::BadView {
                reason: "a view needs a module name and a type name".into(),
            });
        }
        Ok(DynView {
            need: ViewNeed {
                module: module.into(),
                type_name: type_name.into(),
                frozen: None,
                fields: Vec::new(),
            },
        })
    }

    /// Expects the type frozen, with exactly the layout of `fingerprint`.
    pub fn set_frozen(&mut self, fingerprint: u64) {
        self.need.frozen = Some(fingerprint);
    }

    /// Adds field `name`: required or optional, reached by `access`, of
    /// type `identity`. Its index (for [`DynBound::token`]) is the number
    /// of fields added before it.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if the name is empty or already in the view, or
    /// the view has [`layout_meta::limits::MAX_FIELDS`] fields.
    pub fn add(
        &mut self,
        name: &str,
        required: bool,
        access: Access,
        identity: Identity,
    ) -> Result<usize, Error> {
        if name.is_empty() || self.need.fields.iter().any(|f| f.name == name) {
            return Err(Error::BadView {
                reason: format!("field name `{name}` is empty or declared twice"),
            });
        }
        if self.need.fields.len() >= layout_meta::limits::MAX_FIELDS {
            return Err(Error::BadView {
                reason: "too many fields".into(),
            });
        }
        self.need.fields.push(FieldNeed {
            name: name.into(),
            required,
            access,
            identity,
        });
        Ok(self.need.fields.len() - 1)
    }

    /// What the view needs: the input of [`layout_meta::compat::bind_view`].
    pub fn need(&self) -> &ViewNeed {
        &self.need
    }

    /// The error a binder reports when [`layout_meta::compat::bind_view`]
    /// refuses this view against the module of `origin`: the one the typed
    /// binder ([`crate::Bound::bind`]) reports for the same mismatches, with
    /// the same text.
    pub fn refusal(&self, origin: Origin, mismatches: Vec<Mismatch>) -> Error {
        if let [Mismatch::Module { expected, found }] = mismatches.as_slice() {
            return Error::ModuleMismatch {
                library: origin.library,
                expected: expected.clone(),
                found: found.clone(),
            };
        }
        Error::Bind {
            origin,
            ty: self.need.type_name.clone(),
            mismatches,
        }
    }
}

/// Which bytes a field may hold, by the identity the library gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bits {
    /// Every bit pattern (integers, floats, opaque types: the format's
    /// producers require opaque field types to be plain old data).
    Any,
    /// Each byte 0 or 1 (`bool`, arrays of it).
    Bool,
    /// Each 4 bytes a Unicode scalar value (`char`, arrays of it).
    Char,
    /// Not by value: a nested resilient type, or a scalar of a name whose
    /// valid bit patterns this client does not know.
    None,
}

fn bits_of(id: &Identity) -> Bits {
    match id {
        Identity::Scalar { name, size, .. } => match name.as_str() {
            "bool" if *size == size_of::<bool>() => Bits::Bool,
            "char" if *size == size_of::<char>() => Bits::Char,
            "bool" | "char" => Bits::None,
            n if scalar_record(n).is_some() => Bits::Any,
            _ => Bits::None,
        },
        Identity::Array { element, .. } => bits_of(element),
        Identity::Opaque { .. } => Bits::Any,
        Identity::Resilient { .. } => Bits::None,
    }
}

/// Whether `bytes` is a sequence of valid `T`s.
fn all_valid<T: CheckedBitPattern>(bytes: &[u8]) -> bool {
    let n = size_of::<T>();
    n != 0
        && bytes.len() % n == 0
        && bytes
            .chunks_exact(n)
            .all(|c| bytemuck::checked::try_pod_read_unaligned::<T>(c).is_ok())
}

/// Where a bound field is, and what it may hold.
#[derive(Clone, Copy, Debug)]
struct Slot {
    offset: usize,
    size: usize,
    bits: Bits,
}

/// A field token of a [`DynBound`]: plain data (the C API hands it out as
/// `rsl_field`). Only the binding it names accepts it, and only with the
/// offset it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DynToken {
    /// The binding id ([`DynBound::binding`]).
    pub binding: u64,
    /// The field's byte offset in the value.
    pub offset: usize,
    /// The field's index in the view.
    pub index: u32,
}

/// A [`DynView`] bound to a foreign type: the view's fields, where the
/// library has each, and the type, which keeps the library loaded.
///
/// # Thread safety
///
/// `Send + Sync`: immutable once made.
pub struct DynBound {
    id: BindingId,
    ty: Arc<ForeignType>,
    need: ViewNeed,
    slots: Vec<Option<Slot>>,
}

impl fmt::Debug for DynBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynBound")
            .field("binding", &self.id)
            .field("type", &self.ty)
            .field("view", &self.need)
            .finish_non_exhaustive()
    }
}

impl DynBound {
    /// The binding of `view` to type `ty`, placed as `placement` says: the
    /// verdict of [`layout_meta::compat::bind_view`] for this view against
    /// the module `ty` comes from. Each field's size and valid bit patterns
    /// are taken from the library's (validated) layout of the placed field.
    ///
    /// # Errors
    ///
    /// [`Error::BadView`] if `ty` is not the view's type, or `placement`
    /// does not place the view's fields on fields of `ty` (it is not the
    /// verdict for this view and this type).
    pub fn new(
        ty: Arc<ForeignType>,
        view: &DynView,
        placement: &Placement,
    ) -> Result<DynBound, Error> {
        let need = view.need();
        let layout = ty.layout();
        let mismatch = || Error::BadView {
            reason: format!(
                "the placement given is not a verdict for the view of `{}` against `{}`",
                need.type_name, layout.name
            ),
        };
        if layout.name != need.type_name || placement.len() != need.fields.len() {
            return Err(mismatch());
        }
        let mut slots = Vec::with_capacity(need.fields.len());
        for (f, place) in need.fields.iter().zip(placement) {
            let slot = match place {
                None => None,
                Some(offset) => {
                    let found = layout
                        .field(&f.name)
                        .filter(|found| found.offset == *offset)
                        .ok_or_else(mismatch)?;
                    Some(Slot {
                        offset: *offset,
                        size: found.identity.size(),
                        bits: bits_of(&found.identity),
                    })
                }
            };
            slots.push(slot);
        }
        Ok(DynBound {
            id: BindingId::fresh(),
            ty,
            need: need.clone(),
            slots,
        })
    }

    /// This binding's id: fresh, never given to another binding or type in
    /// this process (so never reused after a library is unloaded).
    pub fn binding(&self) -> u64 {
        self.id.get()
    }
    /// The bound foreign type.
    pub fn foreign_type(&self) -> &Arc<ForeignType> {
        &self.ty
    }
    /// Number of fields of the view.
    pub fn field_count(&self) -> usize {
        self.slots.len()
    }
    /// The view this binding was made from.
    pub fn need(&self) -> &ViewNeed {
        &self.need
    }

    /// The token of the view's field `name`, which the caller means to use
    /// as `identity` reached by `access` (`None`: as declared): `None` for
    /// an optional field the library lacks.
    ///
    /// # Errors
    ///
    /// [`Error::Undeclared`] if the view has no field `name`, or declared it
    /// with another access or with an identity that is not `identity` by
    /// the identity rule ([`layout_meta::compat::same_identity`]).
    pub fn token_named(
        &self,
        name: &str,
        asked: Option<(&Identity, Access)>,
    ) -> Result<Option<DynToken>, Error> {
        let field = || format!("{}.{name}", self.ty.layout().name);
        let Some(index) = self.need.fields.iter().position(|f| f.name == name) else {
            return Err(Error::Undeclared {
                field: field(),
                reason: "the view does not declare it".into(),
            });
        };
        if let (Some((identity, access)), Some(declared)) = (asked, self.need.fields.get(index)) {
            if access != declared.access
                || !layout_meta::compat::same_identity(&declared.identity, identity)
            {
                return Err(Error::Undeclared {
                    field: field(),
                    reason: format!(
                        "the view declares it as {}, the token asks for {identity}",
                        declared.identity
                    ),
                });
            }
        }
        self.token(index)
    }

    /// The token of the view's field `index`: `None` for an optional field
    /// the library lacks.
    ///
    /// # Errors
    ///
    /// [`Error::Undeclared`] if the view has no field `index`.
    pub fn token(&self, index: usize) -> Result<Option<DynToken>, Error> {
        let Some(slot) = self.slots.get(index) else {
            return Err(Error::Undeclared {
                field: format!("{}.#{index}", self.ty.layout().name),
                reason: format!("the view has {} fields", self.slots.len()),
            });
        };
        let index = u32::try_from(index).map_err(|_| Error::Undeclared {
            field: format!("{}.#{index}", self.ty.layout().name),
            reason: "index out of range".into(),
        })?;
        Ok(slot.map(|s| DynToken {
            binding: self.id.get(),
            offset: s.offset,
            index,
        }))
    }

    fn field_name(&self, index: usize) -> String {
        let name = self.need.fields.get(index).map_or("?", |f| f.name.as_str());
        format!("{}.{name}", self.ty.layout().name)
    }

    /// The slot a token names, if it is one of this binding's.
    fn slot(&self, token: DynToken, operation: &'static str) -> Result<Slot, Error> {
        let slot = usize::try_from(token.index)
            .ok()
            .and_then(|i| self.slots.get(i).copied().flatten());
        match slot {
            Some(s) if token.binding == self.id.get() && token.offset == s.offset => Ok(s),
            _ => Err(Error::WrongBinding { operation }),
        }
    }

    /// Checks a token and a buffer length for an access by value.
    /// Checks, before any buffer is formed, that `token` is a by-value
    /// field of this binding of exactly `size` bytes (what `read` and
    /// `write` then require of their buffers).
    ///
    /// # Errors
    ///
    /// As [`DynBound::read`] for a wrong token or size.
    pub fn check_size(&self, token: DynToken, size: usize, op: &'static str) -> Result<(), Error> {
        self.by_value(token, size, op).map(|_| ())
    }

    fn by_value(&self, token: DynToken, len: usize, op: &'static str) -> Result<Slot, Error> {
        let slot = self.slot(token, op)?;
        // `slot` proved the index is in range.
        let field = || self.field_name(usize::try_from(token.index).unwrap_or(usize::MAX));
        if slot.bits == Bits::None {
            return Err(Error::NotByValue { field: field() });
        }
        if len != slot.size {
            return Err(Error::FieldSize {
                field: field(),
                size: slot.size,
                found: len,
            });
        }
        Ok(slot)
    }

    fn check_bits(&self, slot: Slot, index: u32, bytes: &[u8]) -> Result<(), Error> {
        let (ok, scalar) = match slot.bits {
            Bits::Bool => (all_valid::<bool>(bytes), "bool"),
            Bits::Char => (all_valid::<char>(bytes), "char"),
            Bits::Any | Bits::None => (true, ""),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidBits {
                field: self.field_name(usize::try_from(index).unwrap_or(usize::MAX)),
                scalar,
            })
        }
    }

    /// Copies field `token` of the value at `value` into `out`, which must
    /// have exactly the field's size.
    ///
    /// # Errors
    ///
    /// [`Error::WrongBinding`] if the token is not one of this binding's,
    /// [`Error::NotByValue`], [`Error::FieldSize`]; [`Error::InvalidBits`]
    /// if the value holds bytes that are not a value of the field's type
    /// (then `out` holds them anyway: do not use it as that type).
    ///
    /// # Safety
    ///
    /// `value` points at a live value of this binding's type, readable for
    /// its whole size, that nobody writes during the call.
    pub unsafe fn read(
        &self,
        value: *const u8,
        token: DynToken,
        out: &mut [u8],
    ) -> Result<(), Error> {
        let slot = self.by_value(token, out.len(), "read")?;
        // SAFETY:
        // - `slot` is one of this binding's fields, placed by the verdict on
        //   a field of the validated layout, so `offset + size <= size of
        //   the type`: the source lies inside the live value the caller
        //   passes, readable;
        // - `out` is `size` writable bytes (checked above);
        // - `copy` allows overlap, should the caller's buffer lie inside
        //   the value.
        unsafe { core::ptr::copy(value.add(slot.offset), out.as_mut_ptr(), slot.size) };
        self.check_bits(slot, token.index, out)
    }

    /// Writes `bytes` (exactly the field's size) into field `token` of the
    /// value at `value`. Invalid bytes are refused before anything is
    /// written.
    ///
    /// # Errors
    ///
    /// As [`DynBound::read`]: the value is unchanged on error.
    ///
    /// # Safety
    ///
    /// `value` points at a live value of this binding's type, writable for
    /// its whole size, that nobody else accesses during the call.
    pub unsafe fn write(&self, value: *mut u8, token: DynToken, bytes: &[u8]) -> Result<(), Error> {
        let slot = self.by_value(token, bytes.len(), "write")?;
        self.check_bits(slot, token.index, bytes)?;
        // SAFETY:
        // - as for `read`: the field lies inside the live value, which the
        //   caller lends us writable and exclusively;
        // - the bytes are a valid value of the field's type (checked just
        //   above for `bool` and `char`; any bytes for the other kinds);
        // - `copy` allows overlap.
        unsafe { core::ptr::copy(bytes.as_ptr(), value.add(slot.offset), slot.size) };
        Ok(())
    }

    fn check_room(&self, room: *mut u8, len: usize) -> Result<(), Error> {
        let l = self.ty.layout();
        if room.is_null() || len < l.size || (room as usize) % l.align != 0 {
            return Err(Error::Room {
                ty: l.name.clone(),
                size: l.size,
                align: l.align,
                room: len,
            });
        }
        Ok(())
    }

    /// Makes a default value (the library's default witness, or zeros for
    /// plain old data) in the caller's room.
    ///
    /// # Errors
    ///
    /// [`Error::Room`] if `room` is null, misaligned or smaller than the
    /// type; [`Error::NoWitness`]. Nothing is left initialised on error.
    ///
    /// # Safety
    ///
    /// `room` is writable for `len` bytes, holds no live value that needs
    /// dropping, and outlives the value; the value is later dropped with
    /// [`DynBound::drop_at`] exactly once.
    pub unsafe fn init_at(&self, room: *mut u8, len: usize) -> Result<(), Error> {
        self.check_room(room, len)?;
        // SAFETY: checked just above: aligned, and at least `size` bytes,
        // writable by the caller's contract.
        unsafe { init_default(&self.ty, room, 1) }
    }

    /// Makes a copy of the value at `src` (the library's clone witness, or
    /// bitwise for plain old data) in the caller's room.
    ///
    /// # Errors
    ///
    /// As [`DynBound::init_at`].
    ///
    /// # Safety
    ///
    /// As [`DynBound::init_at`]; moreover `src` is a live value of this
    /// binding's type that does not overlap the room.
    pub unsafe fn clone_at(&self, room: *mut u8, len: usize, src: *const u8) -> Result<(), Error> {
        self.check_room(room, len)?;
        // SAFETY: the room is checked (aligned, `size` bytes); `src` is a
        // live value of the type, apart from the room (caller's contract).
        unsafe { clone_into(&self.ty, room, src) }
    }

    /// Drops the value at `value` (the library's drop witness, if any).
    ///
    /// # Safety
    ///
    /// `value` is a live value of this binding's type, made by
    /// [`DynBound::init_at`] or [`DynBound::clone_at`] (of a binding of the
    /// same type), and is not used afterwards.
    pub unsafe fn drop_at(&self, value: *mut u8) {
        // SAFETY: the caller's contract: one live value, dropped once.
        unsafe { drop_values(&self.ty, value, 1) }
    }

    /// Size, alignment and stride of the type.
    pub fn shape(&self) -> (usize, usize, usize) {
        let l = self.ty.layout();
        (l.size, l.align, l.stride)
    }
}

/// An owned value of a [`DynBound`]'s type on the heap. It holds its
/// binding, so the library stays loaded until the value is dropped.
///
/// Like [`crate::Value`], it stays on the thread that made it unless the
/// type is marked `send` (not `Send`: the C API documents the rule).
pub struct DynValue {
    block: Block,
    bound: Arc<DynBound>,
}

impl fmt::Debug for DynValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynValue")
            .field("bound", &self.bound)
            .field("at", &self.block.ptr())
            .finish()
    }
}

impl DynValue {
    /// A default value: the library's default witness, or zeros for plain
    /// old data.
    ///
    /// # Errors
    ///
    /// [`Error::NoWitness`]; [`Error::Alloc`] if the size cannot be
    /// allocated (an impossible size is an error, never an abort).
    pub fn new(bound: &Arc<DynBound>) -> Result<Self, Error> {
        let l = bound.ty.layout();
        let block = Block::new(&l.name, l.size, l.align)?;
        // SAFETY: the block is room for one value, aligned; on error the
        // block is freed with nothing initialised in it.
        unsafe { init_default(&bound.ty, block.ptr(), 1)? };
        Ok(DynValue {
            block,
            bound: Arc::clone(bound),
        })
    }

    /// A copy made by the library's clone witness (bitwise for plain old
    /// data).
    ///
    /// # Errors
    ///
    /// [`Error::NoWitness`], [`Error::Alloc`].
    pub fn try_clone(&self) -> Result<Self, Error> {
        let l = self.bound.ty.layout();
        let block = Block::new(&l.name, l.size, l.align)?;
        // SAFETY: `self` holds a live value; the new block is distinct room
        // for one, aligned.
        unsafe { clone_into(&self.bound.ty, block.ptr(), self.block.ptr())? };
        Ok(DynValue {
            block,
            bound: Arc::clone(&self.bound),
        })
    }

    /// The binding.
    pub fn bound(&self) -> &Arc<DynBound> {
        &self.bound
    }
    /// The value's address.
    pub fn as_ptr(&self) -> *const u8 {
        self.block.ptr()
    }
    /// The value's address, for writing.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.block.ptr()
    }

    /// Copies field `token` into `out` (see [`DynBound::read`]).
    ///
    /// # Errors
    ///
    /// As [`DynBound::read`].
    pub fn read(&self, token: DynToken, out: &mut [u8]) -> Result<(), Error> {
        // SAFETY: the block holds a live value of the bound type, borrowed
        // shared with `self`.
        unsafe { self.bound.read(self.block.ptr(), token, out) }
    }

    /// Writes field `token` from `bytes` (see [`DynBound::write`]).
    ///
    /// # Errors
    ///
    /// As [`DynBound::write`].
    pub fn write(&mut self, token: DynToken, bytes: &[u8]) -> Result<(), Error> {
        // SAFETY: the block holds a live value of the bound type, borrowed
        // exclusively with `self`.
        unsafe { self.bound.write(self.block.ptr(), token, bytes) }
    }
}

impl Drop for DynValue {
    fn drop(&mut self) {
        // SAFETY: the block holds a live value, never used again; the block
        // itself is freed after this by `Block::drop`.
        unsafe { drop_values(&self.bound.ty, self.block.ptr(), 1) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InProcess;
    use crate::TypeSource;
    use layout_meta::compat::bind_view;

    #[derive(layout_meta::Resilient, Clone, Copy, Default, bytemuck::Zeroable)]
    #[resilient(pod, clone, default)]
    pub struct Flags {
        pub on: bool,
        pub letter: char,
        pub many: [bool; 3],
        pub n: u32,
    }

    fn bound() -> Arc<DynBound> {
        let src = InProcess::new("m", "1.0.0").with::<Flags>();
        let mut v = DynView::new("m", "Flags").unwrap();
        v.add("on", true, Access::ByValue, scalar("bool").unwrap())
            .unwrap();
        v.add("letter", true, Access::ByValue, scalar("char").unwrap())
            .unwrap();
        v.add(
            "many",
            true,
            Access::ByValue,
            array(scalar("bool").unwrap(), 3).unwrap(),
        )
        .unwrap();
        v.add("n", true, Access::ByValue, scalar("u32").unwrap())
            .unwrap();
        v.add("gone", false, Access::ByValue, scalar("u8").unwrap())
            .unwrap();
        let module = layout_meta::ModuleLayout {
            name: "m".into(),
            version: "1.0.0".into(),
            types: vec![src.foreign_type("Flags").unwrap().layout().clone()],
            functions: Vec::new(),
            impls: Vec::new(),
        };
        let placement = bind_view(v.need(), &module).unwrap();
        Arc::new(DynBound::new(src.foreign_type("Flags").unwrap(), &v, &placement).unwrap())
    }

    /// The C API checks a size before it forms a buffer of it: a wrong
    /// size, however large, is an error (it formed the slice first).
    #[test]
    fn sizes_are_checked_before_any_buffer_exists() {
        let b = bound();
        let n = b.token(3).unwrap().unwrap();
        assert!(b.check_size(n, 4, "read").is_ok());
        for wrong in [0, 1, 8, usize::MAX] {
            assert!(b.check_size(n, wrong, "read").is_err(), "{wrong}");
        }
    }

    #[test]
    fn invalid_bits_are_refused_on_write() {
        let b = bound();
        let mut v = DynValue::new(&b).unwrap();
        let on = b.token(0).unwrap().unwrap();
        assert!(matches!(
            v.write(on, &[2]),
            Err(Error::InvalidBits { scalar: "bool", .. })
        ));
        v.write(on, &[1]).unwrap();
        let mut out = [9u8];
        v.read(on, &mut out).unwrap();
        assert_eq!(out, [1]);
        let letter = b.token(1).unwrap().unwrap();
        let surrogate = 0xD800u32.to_ne_bytes();
        assert!(v.write(letter, &surrogate).is_err());
        v.write(letter, &u32::from('é').to_ne_bytes()).unwrap();
        let many = b.token(2).unwrap().unwrap();
        assert!(v.write(many, &[1, 0, 3]).is_err());
        v.write(many, &[1, 0, 1]).unwrap();
        assert!(matches!(
            v.write(b.token(3).unwrap().unwrap(), &[0; 2]),
            Err(Error::FieldSize {
                size: 4,
                found: 2,
                ..
            })
        ));
        assert_eq!(b.token(4).unwrap(), None);
        assert!(b.token(5).is_err());
    }

    #[test]
    fn tokens_of_another_binding_are_refused() {
        let (a, b) = (bound(), bound());
        assert_ne!(a.binding(), b.binding());
        let mut v = DynValue::new(&b).unwrap();
        let on = a.token(0).unwrap().unwrap();
        assert!(matches!(v.write(on, &[1]), Err(Error::WrongBinding { .. })));
        // A forged offset on a real binding and index.
        let mut forged = b.token(3).unwrap().unwrap();
        forged.offset += 1;
        assert!(v.write(forged, &[0; 4]).is_err());
    }

    #[test]
    fn room_is_checked() {
        let b = bound();
        let mut room = [0u64; 8];
        let p = room.as_mut_ptr().cast::<u8>();
        // SAFETY: 64 writable bytes, aligned to 8; the value is dropped below.
        unsafe {
            assert!(b.init_at(p.add(1), 63).is_err());
            assert!(b.init_at(p, 1).is_err());
            b.init_at(p, 64).unwrap();
            b.drop_at(p);
        }
    }
}
