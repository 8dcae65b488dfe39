//! Enum views, host side: [`enum_view!`](crate::enum_view) declares the
//! cases a host knows and the payload fields it uses; binding maps each
//! case, by name, to the library's tag or case index once
//! (`layout_meta::compat::bind_case`); reading a value gives an enum to
//! `match` on, with an `Unknown` arm for every case the host does not know
//! (a case added later lands there, never in another case's arm). Payload
//! fields are read through tokens of their case; a case is constructed by
//! the library's own `write_case` witness.

use core::fmt;
use core::marker::PhantomData;

use layout_meta::compat::{self, FieldQuery};
use layout_meta::format::{CaseOfFn, LocateFn, WriteCaseFn};
use layout_meta::{CaseLayout, Identity, TypeIdentity};

use crate::access::Ref;
use crate::error::Error;
use crate::foreign::{BindingId, ForeignType};
use crate::value::{Block, Value};
use crate::view::{BindCx, Bindable, Bound, FieldValue};

/// The witnesses of a bound enum, as functions.
#[derive(Clone, Copy)]
pub(crate) struct EnumWitnesses {
    pub(crate) case_of: CaseOfFn,
    pub(crate) locate: Option<LocateFn>,
    pub(crate) write_case: Option<WriteCaseFn>,
}

/// How a value's case is read: its plain tag (offset, size), or the
/// library's `case_of` witness. What the typed [`EnumReader`] and the
/// dynamic enum views ([`crate::dynamic`]) both read cases with.
#[derive(Clone, Copy)]
pub(crate) struct CaseKeys {
    tag: Option<(usize, u32)>,
    case_of: Option<CaseOfFn>,
}

impl fmt::Debug for CaseKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaseKeys")
            .field("tag", &self.tag)
            .finish_non_exhaustive()
    }
}

impl CaseKeys {
    /// How values of the enum `ty` give their case.
    pub(crate) fn of(ty: &ForeignType) -> Self {
        CaseKeys {
            tag: ty.layout().enum_info.as_ref().and_then(|e| e.tag),
            case_of: ty.enum_witnesses().map(|w| w.case_of),
        }
    }

    /// Whether a value's case is read by the library's `case_of` witness
    /// (which takes the value as a reference) rather than from a plain tag.
    pub(crate) fn reads_through_witness(&self) -> bool {
        self.tag.is_none() && self.case_of.is_some()
    }

    /// The library's key of the value at `ptr`'s case (its tag, or its case
    /// index: what [`case_key`] gives for each case); `None` if the enum
    /// has neither a plain tag nor a `case_of` witness.
    ///
    /// # Safety
    ///
    /// `ptr` points to a live value of the enum.
    #[inline]
    pub(crate) unsafe fn key(&self, ptr: *const u8) -> Option<u64> {
        match (self.tag, self.case_of) {
            // SAFETY: the validator proved the tag lies inside the value.
            (Some((offset, size)), _) => Some(unsafe { read_tag(ptr.add(offset), size) }),
            // SAFETY: the library's witness on a live value of its type.
            (None, Some(case_of)) => Some(u64::from(unsafe { case_of(ptr) })),
            (None, None) => None,
        }
    }
}

/// The key [`CaseKeys::key`] reads for values of the library's case
/// `index` (`case`) of enum `layout`: its plain tag where the tag is
/// plain, else its case index.
pub(crate) fn case_key(layout: &layout_meta::TypeLayout, index: usize, case: &CaseLayout) -> u64 {
    let plain_tag = layout.enum_info.as_ref().and_then(|e| e.tag).is_some();
    if plain_tag {
        case.tag
    } else {
        index as u64
    }
}

/// How a bound enum view finds a value's case: by its plain tag or by the
/// library's `case_of` witness, and for each host case the library's key
/// (its tag, or its case index). `K` is the number of cases the host
/// knows.
#[derive(Clone, Copy)]
pub struct EnumReader<const K: usize> {
    binding: BindingId,
    keys_of: CaseKeys,
    keys: [u64; K],
}

impl<const K: usize> fmt::Debug for EnumReader<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnumReader")
            .field("tag", &self.keys_of.tag)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl<const K: usize> EnumReader<K> {
    /// The host's case index of the value at `ptr` (`K`: a case the host
    /// does not know).
    ///
    /// # Safety
    ///
    /// `ptr` points to a live value of the bound enum.
    #[inline]
    pub unsafe fn case_index(&self, ptr: *const u8) -> usize {
        // SAFETY: the caller's contract.
        let Some(key) = (unsafe { self.keys_of.key(ptr) }) else {
            return K;
        };
        self.keys.iter().position(|k| *k == key).unwrap_or(K)
    }
    /// The library's key (plain tag or case index) of the value at `ptr`
    /// (`u64::MAX` if the enum gives none): what a refusal of a case the
    /// view does not know names.
    ///
    /// # Safety
    ///
    /// `ptr` points to a live value of the bound enum.
    #[inline]
    pub unsafe fn raw_key(&self, ptr: *const u8) -> u64 {
        // SAFETY: the caller's contract.
        unsafe { self.keys_of.key(ptr) }.unwrap_or(u64::MAX)
    }
    /// The binding it was made for.
    pub fn binding(&self) -> BindingId {
        self.binding
    }
    /// The library's key (plain tag or case index) of host case `host`.
    pub fn key(&self, host: usize) -> u64 {
        self.keys.get(host).copied().unwrap_or(u64::MAX)
    }
}

/// Reads a plain tag of `size` bytes (1, 2, 4 or 8: the validator's rule).
///
/// # Safety
///
/// `size` bytes are readable at `at`.
#[inline(always)]
unsafe fn read_tag(at: *const u8, size: u32) -> u64 {
    // SAFETY: `size` readable bytes (the caller's contract); unaligned
    // reads, so no alignment is assumed.
    unsafe {
        match size {
            1 => u64::from(at.read()),
            2 => u64::from(at.cast::<u16>().read_unaligned()),
            4 => u64::from(at.cast::<u32>().read_unaligned()),
            _ => at.cast::<u64>().read_unaligned(),
        }
    }
}

/// Where a payload field is: an offset from the value, or the library's
/// `locate` witness.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Place {
    Offset(usize),
    Locate {
        locate: LocateFn,
        case: u32,
        field: u32,
    },
}

impl Place {
    /// Where payload field `field` (at `offset` in the layout) of the
    /// library's case `case` of enum `ty` is: at its offset where the
    /// payloads are plain, else where `locate` says.
    pub(crate) fn of(ty: &ForeignType, case: usize, field: usize, offset: usize) -> Place {
        let plain = ty
            .layout()
            .enum_info
            .as_ref()
            .is_some_and(|e| e.payload_plain);
        match ty.enum_witnesses() {
            Some(EnumWitnesses {
                locate: Some(locate),
                ..
            }) if !plain => Place::Locate {
                locate,
                case: u32::try_from(case).unwrap_or(u32::MAX),
                field: u32::try_from(field).unwrap_or(u32::MAX),
            },
            _ => Place::Offset(offset),
        }
    }

    /// The field's address in the value at `ptr`; null if the library's
    /// `locate` gives none.
    ///
    /// # Safety
    ///
    /// `ptr` points to a live value of the enum this place was made for,
    /// in the field's case.
    /// Whether the field is found by the library's `locate` witness (which
    /// takes the value as a reference) rather than at a plain offset.
    pub(crate) fn is_witness(self) -> bool {
        matches!(self, Place::Locate { .. })
    }

    #[inline]
    pub(crate) unsafe fn address(self, ptr: *const u8) -> *const u8 {
        match self {
            // SAFETY: the validator proved the field inside the value; the
            // value is in the field's case (the caller's contract).
            Place::Offset(offset) => unsafe { ptr.add(offset) },
            Place::Locate {
                locate,
                case,
                field,
            } => {
                // SAFETY: the library's witness on a live value in that case.
                unsafe { locate(ptr, case, field) }
            }
        }
    }
}

/// A payload field of type `T` of one case of a bound enum: read it through
/// the [`Case`] a match gives for that case.
pub struct Payload<T> {
    /// The library's key of the case (its plain tag or case index): two
    /// views of one binding number their cases differently, the library's
    /// key is the same for both.
    case: u64,
    place: Place,
    binding: BindingId,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Payload<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Payload<T> {}
impl<T> fmt::Debug for Payload<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Payload(case {}, {:?})", self.case, self.place)
    }
}

/// What a case's payload field declaration (`Field<T>` or
/// `Option<Field<T>>`) becomes in a payload view (sealed).
pub trait PayloadToken: crate::sealed::Sealed {
    /// The token the payload view holds.
    type Token: Copy + Send + Sync + fmt::Debug + 'static;
    /// The value a constructor takes for it.
    type Value: Copy;
    /// Whether binding fails without it.
    const REQUIRED: bool;
    /// The identity the field must have.
    const IDENTITY: TypeIdentity;
    #[doc(hidden)]
    fn resolve(found: Option<Payload<()>>) -> Option<Self::Token>;
    #[doc(hidden)]
    fn value_ptr(value: &Self::Value) -> *const u8;
}

impl<T: FieldValue> PayloadToken for crate::Field<T> {
    type Token = Payload<T>;
    type Value = T;
    const REQUIRED: bool = true;
    const IDENTITY: TypeIdentity = <crate::Field<T> as crate::Token>::IDENTITY;
    fn resolve(found: Option<Payload<()>>) -> Option<Payload<T>> {
        found.map(Payload::retype)
    }
    fn value_ptr(value: &T) -> *const u8 {
        core::ptr::from_ref(value).cast()
    }
}

impl<T: FieldValue> PayloadToken for Option<crate::Field<T>> {
    type Token = Option<Payload<T>>;
    type Value = T;
    const REQUIRED: bool = false;
    const IDENTITY: TypeIdentity = <crate::Field<T> as crate::Token>::IDENTITY;
    fn resolve(found: Option<Payload<()>>) -> Option<Option<Payload<T>>> {
        Some(found.map(Payload::retype))
    }
    fn value_ptr(value: &T) -> *const u8 {
        core::ptr::from_ref(value).cast()
    }
}

impl Payload<()> {
    fn retype<T>(self) -> Payload<T> {
        Payload {
            case: self.case,
            place: self.place,
            binding: self.binding,
            _type: PhantomData,
        }
    }
}

/// One case of a value, as a `match` on a bound enum view gives it: the
/// case's payload tokens (through `Deref`) and the value, to read its
/// payload fields with [`Case::get`].
pub struct Case<'a, P> {
    ptr: *const u8,
    /// The library's key of the value's case.
    case: u64,
    binding: BindingId,
    payload: &'a P,
}

impl<P: fmt::Debug> fmt::Debug for Case<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("case", &self.case)
            .field("payload", self.payload)
            .finish_non_exhaustive()
    }
}

impl<P> core::ops::Deref for Case<'_, P> {
    type Target = P;
    fn deref(&self) -> &P {
        self.payload
    }
}

impl<'a, P> Case<'a, P> {
    #[doc(hidden)]
    /// # Safety
    ///
    /// `ptr` points to a live value of the enum `binding` bound, in the
    /// case whose library key is `case`, for `'a`; `payload` holds that
    /// case's tokens.
    pub unsafe fn __new(ptr: *const u8, case: u64, binding: BindingId, payload: &'a P) -> Self {
        Case {
            ptr,
            case,
            binding,
            payload,
        }
    }

    /// The address of payload field `token` of this case.
    #[inline]
    #[track_caller]
    fn field_ptr<T>(&self, token: Payload<T>) -> *const u8 {
        if token.binding != self.binding || token.case != self.case {
            crate::access::wrong_binding("reading a payload field");
        }
        // SAFETY: the value is a live value of the bound enum in this
        // case (`__new`'s contract), the token's case (checked above).
        let at = unsafe { token.place.address(self.ptr) };
        assert!(
            !at.is_null(),
            "the library's locate witness returned no address for a field of the value's own case"
        );
        at
    }

    /// Reads payload field `token` of this case (a type of which every bit
    /// pattern is a value: numbers, arrays of them).
    ///
    /// # Panics
    ///
    /// If `token` is of another case or another binding (a token of this
    /// view's case, from the match arm's own `Case`, never is).
    #[inline]
    #[track_caller]
    pub fn get<T: FieldValue + bytemuck::AnyBitPattern>(&self, token: Payload<T>) -> T {
        let at = self.field_ptr(token);
        // SAFETY: `size_of::<T>()` initialised bytes of the live value at
        // `at` (binding checked the identity, so the size; the value is in
        // this case); any bit pattern is a `T`.
        unsafe { at.cast::<T>().read_unaligned() }
    }

    /// Reads payload field `token` of this case, checking the bytes are a
    /// valid value (`bool`, `char`): `None` if they are not.
    ///
    /// # Panics
    ///
    /// As [`Case::get`].
    #[inline]
    #[track_caller]
    pub fn get_checked<T: FieldValue + bytemuck::CheckedBitPattern>(
        &self,
        token: Payload<T>,
    ) -> Option<T> {
        let at = self.field_ptr(token);
        // SAFETY: as for `get`: `size_of::<T>()` initialised bytes.
        let bytes = unsafe { core::slice::from_raw_parts(at, core::mem::size_of::<T>()) };
        bytemuck::checked::try_pod_read_unaligned(bytes).ok()
    }
}

/// How a host constructs one case: the library's case index, its
/// `write_case` witness, and for each of the library's payload fields the
/// host field that supplies it. `F` is the number of payload fields the
/// host names.
#[derive(Clone, Copy, Debug)]
pub struct Construct<const F: usize> {
    /// `None`: the library's case has a field the host does not name (or
    /// no `write_case`), so the host cannot build it.
    order: Option<([u16; F], usize)>,
    case: u32,
    write_case: Option<WriteCaseFn>,
    /// The library's field the host does not name, by index.
    missing: Option<u16>,
    /// The binding the case was bound in: `make` refuses another.
    binding: BindingId,
}

impl<const F: usize> Construct<F> {
    #[doc(hidden)]
    /// Builds the value from `values` (one pointer per host field, in the
    /// host's order) through the library's witness.
    ///
    /// # Errors
    ///
    /// [`Error::WrongBinding`] if `bound` is not the binding this case was
    /// bound in; [`Error::CannotConstruct`] if the library's case has a
    /// field the host does not name, or the library exports no
    /// `write_case`; [`Error::Alloc`].
    ///
    /// # Safety
    ///
    /// `values[i]` points to a live value of the type of the host's payload
    /// field `i` (as the payload view's `make` passes them).
    pub unsafe fn __build<V: Bindable>(
        &self,
        bound: &Bound<V>,
        case: &'static str,
        values: [*const u8; F],
    ) -> Result<Value<V>, Error> {
        if bound.foreign_type().id() != self.binding {
            return Err(Error::WrongBinding {
                operation: "building an enum case",
            });
        }
        let (Some((order, count)), Some(write)) = (self.order, self.write_case) else {
            return Err(cannot_construct(
                bound.foreign_type(),
                V::TYPE_NAME,
                case,
                self.case,
                self.missing.map(usize::from),
            ));
        };
        let mut payload = [core::ptr::null::<u8>(); F];
        for (slot, host) in payload.iter_mut().zip(order).take(count) {
            *slot = values[usize::from(host)];
        }
        let s = bound.shape();
        let block = Block::new(V::TYPE_NAME, s.size, s.align)?;
        // SAFETY: the block is room for one value of the bound enum; the
        // payload holds, in the library's field order, a pointer to a live
        // value of each field's bound identity (a `Copy` type: the move
        // leaves the host's value usable).
        unsafe { write_case_at(write, block.ptr(), self.case, &payload, V::TYPE_NAME, case) }?;
        // SAFETY: the witness wrote a live value of the bound enum.
        Ok(unsafe { Value::from_block(block, bound.clone()) })
    }
}

/// Why the host cannot build case `case` (the library's case `index`) of
/// enum `ty` (the view's `type_name`): the library's payload field
/// `missing`, which the view does not name, or no `write_case` witness.
pub(crate) fn cannot_construct(
    ty: &ForeignType,
    type_name: &str,
    case: &str,
    index: u32,
    missing: Option<usize>,
) -> Error {
    let field = missing.and_then(|i| {
        let cases = &ty.layout().enum_info.as_ref()?.cases;
        let f = cases.get(index as usize)?.fields.get(i)?;
        Some(f.name.clone())
    });
    Error::CannotConstruct {
        ty: type_name.into(),
        case: case.into(),
        reason: match field {
            Some(field) => {
                format!("the library's case has field `{field}`, which the view does not name")
            }
            None => "the library exports no write_case witness".into(),
        },
    }
}

/// Writes the library's case `index` into `dst` through its `write_case`
/// witness `write`, from `payload` (one pointer per payload field of the
/// library's case, in its order).
///
/// # Errors
///
/// [`Error::CannotConstruct`] if the witness refuses the case (nothing is
/// written then).
///
/// # Safety
///
/// `write` is the enum's witness; `dst` is room for one value of it,
/// holding none; `payload` holds, for each payload field of the case, a
/// pointer to a live value of its identity, which the witness moves out of
/// (the values are `Copy` types read by value: the host's stay usable).
pub(crate) unsafe fn write_case_at(
    write: WriteCaseFn,
    dst: *mut u8,
    index: u32,
    payload: &[*const u8],
    type_name: &str,
    case: &str,
) -> Result<(), Error> {
    // SAFETY: the caller's contract; the witness does not unwind.
    let status = unsafe { write(dst, index, payload.as_ptr()) };
    if status != 0 {
        return Err(Error::CannotConstruct {
            ty: type_name.into(),
            case: case.into(),
            reason: format!("the library's write_case refused case index {index}"),
        });
    }
    Ok(())
}

/// Binding state of one case: its host index, the library's case, the
/// payload fields as bound so far.
#[doc(hidden)]
pub struct CaseCx<'c, 'a> {
    cx: &'c mut BindCx<'a>,
    /// The library's key of the case (`case_key`).
    key: u64,
    index: usize,
    layout: CaseLayout,
    owner: String,
    used: Vec<bool>,
    order: Vec<u16>,
}

impl CaseCx<'_, '_> {
    /// Resolves payload field `name` (host field number `host_field`) as
    /// token `T`.
    pub fn field<T: PayloadToken>(
        &mut self,
        name: &'static str,
        host_field: usize,
    ) -> Option<T::Token> {
        let found = self
            .layout
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == name);
        let identity = Identity::from_record(&T::IDENTITY);
        let want = FieldQuery {
            name,
            required: T::REQUIRED,
            identity: &identity,
            access: compat::Access::ByValue,
        };
        let verdict = compat::bind_field_of(
            &self.owner,
            &self.layout.fields,
            want,
            found.map(|(_, f)| f),
        );
        let bound = match verdict {
            Ok(f) => f,
            Err(m) => {
                self.cx.push(m);
                return None;
            }
        };
        let token = match (bound, found) {
            (Some(f), Some((lib_field, _))) => {
                self.used[lib_field] = true;
                self.order[lib_field] = u16::try_from(host_field).unwrap_or(u16::MAX);
                let place = Place::of(self.cx.foreign_type(), self.index, lib_field, f.offset);
                Some(Payload {
                    case: self.key,
                    place,
                    binding: self.cx.binding(),
                    _type: PhantomData,
                })
            }
            _ => None,
        };
        T::resolve(token)
    }

    /// How this case is constructed, once every field is resolved.
    pub fn construct<const F: usize>(&self) -> Construct<F> {
        let missing = self
            .used
            .iter()
            .position(|used| !*used)
            .map(|i| u16::try_from(i).unwrap_or(u16::MAX));
        let write_case = self.cx.enum_witnesses().and_then(|w| w.write_case);
        let mut order = [0u16; F];
        let fits = self.order.len() <= F;
        for (slot, host) in order.iter_mut().zip(&self.order) {
            *slot = *host;
        }
        Construct {
            order: (missing.is_none() && fits).then_some((order, self.order.len())),
            case: u32::try_from(self.index).unwrap_or(u32::MAX),
            write_case,
            missing,
            binding: self.cx.binding(),
        }
    }
}

/// What a payload view (`CaseView` of `Circle(CaseView { .. })`), or `()`
/// for a case without payload, is bound from (sealed: `enum_view!` makes
/// them).
pub trait PayloadView: Copy + Send + Sync + fmt::Debug + 'static {
    #[doc(hidden)]
    fn resolve(cx: &mut CaseCx<'_, '_>) -> Option<Self>;
}

impl PayloadView for () {
    fn resolve(_: &mut CaseCx<'_, '_>) -> Option<()> {
        Some(())
    }
}

impl<'a> BindCx<'a> {
    /// Binds host case `host` named `name` by the case rule
    /// ([`compat::bind_case`]) and then its payload view `P`; writes the
    /// library's key for it (its tag, or its case index) to `keys[host]`.
    pub fn case<P: PayloadView, const K: usize>(
        &mut self,
        host: usize,
        name: &'static str,
        keys: &mut [u64; K],
    ) -> Option<P> {
        let layout = self.layout();
        let (index, case) = match compat::bind_case(layout, name) {
            Ok(found) => found,
            Err(m) => {
                self.push(m);
                return None;
            }
        };
        let key = case_key(layout, index, case);
        if let Some(slot) = keys.get_mut(host) {
            *slot = key;
        }
        let mut cx = CaseCx {
            owner: format!("{}::{}", layout.name, case.name),
            layout: case.clone(),
            key,
            index,
            used: vec![false; case.fields.len()],
            order: vec![0; case.fields.len()],
            cx: self,
        };
        P::resolve(&mut cx)
    }

    /// Applies the frozen enum view rule ([`compat::bind_frozen_cases`]):
    /// a view expecting the enum frozen (`frozen`) names every case
    /// (`named`, the view's cases).
    pub fn frozen_cases(&mut self, frozen: Option<u64>, named: &[&str]) {
        if let Err(m) = compat::bind_frozen_cases(self.layout(), frozen, named.iter().copied()) {
            self.push(m);
        }
    }

    /// The reader of the enum being bound, once its cases are.
    pub fn enum_reader<const K: usize>(&self, keys: [u64; K]) -> EnumReader<K> {
        EnumReader {
            binding: self.binding(),
            keys_of: CaseKeys::of(self.foreign_type()),
            keys,
        }
    }
}

/// The host case of `r`'s value and its pointer: what a generated `read`
/// matches on.
#[doc(hidden)]
pub fn __case_of<V: crate::View, const K: usize>(
    reader: &EnumReader<K>,
    r: Ref<'_, V>,
) -> (usize, *const u8) {
    if r.binding() != reader.binding {
        crate::access::wrong_binding("reading an enum's case");
    }
    let ptr = r.as_ptr();
    // SAFETY: `r` is a live value of the bound enum (its binding checked).
    (unsafe { reader.case_index(ptr) }, ptr)
}

/// Declares the view of an exported enum a host uses: the cases it knows,
/// and for each the payload fields it reads, in a payload view of its own
/// naming. Binding checks each case by name (a case the enum lacks is
/// refused, naming it), each payload field by the field rule; `read` gives
/// an enum to `match` on, whose `Unknown` arm takes every case the view
/// does not name (a case a later library added).
///
/// ```
/// use resilient_types::{enum_view, Bound, Field, InProcess, Value};
///
/// #[derive(layout_meta::Resilient, Clone, Default)]
/// #[resilient(clone, default)]
/// pub enum Shape {
///     #[default]
///     Empty,
///     Circle { radius: f64 },
///     Rect { w: f64, h: f64 },
///     Star(u8),
/// }
///
/// enum_view! {
///     /// What this host knows of shapes (not stars).
///     pub enum ShapeCase: ShapeView = "shapes"::"Shape" {
///         Empty,
///         Circle(CircleView { radius: Field<f64> }),
///         Rect(RectView { w: Field<f64>, h: Field<f64> }),
///     }
/// }
///
/// let src = InProcess::new("shapes", "1.0.0").with::<Shape>();
/// let shapes = Bound::<ShapeView>::bind(&src)?;
/// let area = |v: &Value<ShapeView>| match shapes.read(v.as_ref()) {
///     ShapeCase::Empty(_) => 0.0,
///     ShapeCase::Circle(c) => 3.14 * c.get(c.radius) * c.get(c.radius),
///     ShapeCase::Rect(r) => r.get(r.w) * r.get(r.h),
///     ShapeCase::Unknown => f64::NAN,
/// };
/// let rect = shapes.Rect.make(&shapes, 2.0, 3.0)?;   // built by the library
/// assert_eq!(area(&rect), 6.0);
/// assert_eq!(area(&Value::new(&shapes)?), 0.0);
/// # Ok::<(), resilient_types::Error>(())
/// ```
///
/// Tuple cases name their fields `_0`, `_1`, ... (the library's `0`, `1`).
///
/// # Frozen enums: exhaustive matches
///
/// A view of an enum its library marks frozen (`#[resilient(frozen)]`, a
/// promise never to change it) may add `frozen(<fingerprint>)` after the
/// enum's name (the fingerprint `resilient inspect` shows, and `resilient
/// gen rust` writes). Its case enum then has no `Unknown` arm, so a `match`
/// is exhaustive, and binding requires, by the rules of
/// `layout_meta::compat` (`bind_frozen`, `bind_frozen_cases`), the enum
/// frozen with exactly that fingerprint and every one of its cases named
/// by the view (an exhaustive match has an arm for each).
///
/// A frozen library cannot add a case, so a value's case is always one the
/// view names; should a library break that promise (a tag, or a `case_of`
/// witness, giving a case its metadata does not list), `read` panics (a
/// typed, safe refusal, never another case's arm or undefined behaviour)
/// and `try_read` returns [`Error::UnknownCase`](crate::Error::UnknownCase).
///
/// ```
/// use resilient_types::{enum_view, Bound, Field, InProcess, Value};
///
/// #[derive(layout_meta::Resilient, Clone, Copy, Default)]
/// #[repr(u8)]
/// #[resilient(frozen, clone, default)]
/// pub enum Level {
///     #[default]
///     Low,
///     High { boost: u16 },
/// }
///
/// # use layout_meta::Resilient as _;
/// # const FP: u64 = Level::DESCRIPTOR.fingerprint();
/// enum_view! {
///     pub enum LevelCase: LevelView = "levels"::"Level" frozen(FP) {
///         Low,
///         High(HighView { boost: Field<u16> }),
///     }
/// }
///
/// let src = InProcess::new("levels", "1.0.0").with::<Level>();
/// let levels = Bound::<LevelView>::bind(&src)?;
/// let high = levels.High.make(&levels, 7)?;
/// let boost = match levels.read(high.as_ref()) {   // no `Unknown` arm
///     LevelCase::Low(_) => 0,
///     LevelCase::High(h) => h.get(h.boost),
/// };
/// assert_eq!(boost, 7);
/// # Ok::<(), resilient_types::Error>(())
/// ```
///
/// Every view is also recorded in the binary (an enum view record in the
/// ELF section `resilient_views`, docs/FORMAT.md "Consumer needs"), so that
/// `resilient check LIB --consumer BIN` checks a library against it
/// offline, by the rule the binder applies.
#[macro_export]
macro_rules! enum_view {
    (
        $(#[$meta:meta])*
        $vis:vis enum $read:ident : $view:ident = $module:literal :: $ty:literal $(frozen($fp:expr))? {
            $(
                $(#[$cmeta:meta])*
                $case:ident $( ( $payload:ident {
                    $( $(#[$pmeta:meta])* $pfield:ident : $ptok:ty ),* $(,)?
                } ) )?
            ),* $(,)?
        }
    ) => {
        $(
            $(
                #[doc = ::core::concat!("The payload fields of case `", ::core::stringify!($case), "` a host reads.")]
                #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
                $vis struct $payload {
                    $( $(#[$pmeta])* pub $pfield: <$ptok as $crate::__private::PayloadToken>::Token, )*
                    __construct: $crate::__private::Construct<{ [$(::core::stringify!($pfield)),*].len() }>,
                }

                impl $crate::__private::PayloadView for $payload {
                    fn resolve(cx: &mut $crate::__private::CaseCx<'_, '_>) -> ::core::option::Option<Self> {
                        let mut __i = 0usize;
                        $( let $pfield = cx.field::<$ptok>($crate::__private::payload_name(::core::stringify!($pfield)), { __i += 1; __i - 1 }); )*
                        let _ = __i;
                        ::core::option::Option::Some($payload {
                            $( $pfield: $pfield?, )*
                            __construct: cx.construct(),
                        })
                    }
                }

                impl $payload {
                    /// A new value of this case, built by the library's own
                    /// `write_case` witness from these payload values.
                    ///
                    /// # Errors
                    ///
                    /// [`Error::CannotConstruct`]($crate::Error::CannotConstruct)
                    /// if the library's case has a field this view does not
                    /// name (or the library builds none);
                    /// [`Error::Alloc`]($crate::Error::Alloc).
                    #[allow(clippy::too_many_arguments, reason = "one per payload field")]
                    pub fn make(
                        &self,
                        bound: &$crate::Bound<$view>,
                        $( $pfield: <$ptok as $crate::__private::PayloadToken>::Value, )*
                    ) -> ::core::result::Result<$crate::Value<$view>, $crate::Error> {
                        // SAFETY: one pointer per payload field, each to a
                        // live value of that field's type (this function's
                        // typed parameters).
                        unsafe {
                            self.__construct.__build(
                                bound,
                                ::core::stringify!($case),
                                [$( <$ptok as $crate::__private::PayloadToken>::value_ptr(&$pfield) ),*],
                            )
                        }
                    }
                }
            )?
        )*

        $crate::__enum_view_cases! {
            [$($fp)?]
            $(#[$meta])*
            $vis enum $read : $view {
                $( $(#[$cmeta])* $case [$crate::__enum_payload!($($payload)?)], )*
            }
        }

        #[doc = ::core::concat!("The bound view of enum `", $ty, "` of module `", $module, "` (see [`", ::core::stringify!($read), "`]).")]
        #[allow(non_snake_case, reason = "one field per case, named as the case")]
        $vis struct $view<S: $crate::Strategy = $crate::Indirect> {
            $(
                #[doc = ::core::concat!("The payload tokens of case `", ::core::stringify!($case), "`.")]
                pub $case: $crate::__enum_payload!($($payload)?),
            )*
            __reader: $crate::__private::EnumReader<{ [$(::core::stringify!($case)),*].len() }>,
            __shape: $crate::Shape,
            __strategy: ::core::marker::PhantomData<S>,
        }

        impl<S: $crate::Strategy> ::core::clone::Clone for $view<S> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<S: $crate::Strategy> ::core::marker::Copy for $view<S> {}
        impl<S: $crate::Strategy> ::core::fmt::Debug for $view<S> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!($view))
                    $( .field(::core::stringify!($case), &self.$case) )*
                    .field("reader", &self.__reader)
                    .finish()
            }
        }

        impl<S: $crate::Strategy> $view<S> {
            /// The case of `value` among the cases this view names, or
            /// `Err` with the value itself (its address) for a case it
            /// does not name.
            #[allow(unused_assignments, reason = "the last case's index")]
            fn __known<'a>(
                &'a self,
                value: $crate::Ref<'a, $view>,
            ) -> ::core::result::Result<$read<'a>, *const u8> {
                let (case, ptr) = $crate::__private::case_of(&self.__reader, value);
                let binding = self.__reader.binding();
                let mut __i = 0usize;
                $(
                    if case == __i {
                        // SAFETY: `ptr` is the live value `value` borrows
                        // for `'a`, in host case `__i` (its reader said so).
                        return ::core::result::Result::Ok($read::$case(unsafe {
                            $crate::__private::Case::__new(ptr, self.__reader.key(__i), binding, &self.$case)
                        }));
                    }
                    __i += 1;
                )*
                ::core::result::Result::Err(ptr)
            }
        }

        // SAFETY: the shape and tokens come from binding only (`resolve`).
        unsafe impl<S: $crate::Strategy> $crate::View for $view<S> {
            type Strategy = S;
            const MODULE: &'static str = $module;
            const TYPE_NAME: &'static str = $ty;
            const FROZEN: ::core::option::Option<u64> = $crate::__view_frozen!($($fp)?);
            const FIELDS: &'static [$crate::FieldSpec] = &[];
            const IS_ENUM: bool = true;
            fn shape(&self) -> $crate::Shape {
                self.__shape
            }
        }

        // SAFETY: `resolve` builds the view from `cx` only; `as_with`
        // returns `self`.
        unsafe impl $crate::Bindable for $view<$crate::Indirect> {
            type With<S2: $crate::Strategy> = $view<S2>;
            fn as_with(&self) -> &Self::With<$crate::Indirect> {
                self
            }
            #[allow(
                unused_assignments,
                non_snake_case,
                reason = "the last case's index; one binding per case, named as the case"
            )]
            fn resolve(cx: &mut $crate::BindCx<'_>) -> ::core::option::Option<Self> {
                let mut keys = [0u64; { [$(::core::stringify!($case)),*].len() }];
                let mut __i = 0usize;
                $(
                    let $case = cx.case::<$crate::__enum_payload!($($payload)?), _>(
                        __i,
                        $crate::__private::unraw(::core::stringify!($case)),
                        &mut keys,
                    );
                    __i += 1;
                )*
                cx.frozen_cases(
                    <Self as $crate::View>::FROZEN,
                    &[$( $crate::__private::unraw(::core::stringify!($case)) ),*],
                );
                ::core::option::Option::Some($view {
                    $( $case: $case?, )*
                    __reader: cx.enum_reader(keys),
                    __shape: cx.shape(),
                    __strategy: ::core::marker::PhantomData,
                })
            }
        }

        // What this view needs, recorded as data in the consumer binary (ELF
        // section `resilient_views`) so tools can check a library against it
        // offline (`resilient check LIB --consumer BIN`).
        const _: () = {
            static RECORD: $crate::__private::EnumViewRecord = $crate::__private::EnumViewRecord::new(
                $module,
                $ty,
                $crate::__view_frozen!($($fp)?),
                &[$( $crate::__private::CaseNeedRecord::new(
                    $crate::__private::unraw(::core::stringify!($case)),
                    &[$($( $crate::__private::ViewFieldRecord::new(
                        $crate::__private::payload_name(::core::stringify!($pfield)),
                        <$ptok as $crate::__private::PayloadToken>::REQUIRED,
                        $crate::__private::Access::ByValue,
                        <$ptok as $crate::__private::PayloadToken>::IDENTITY,
                    ), )*)?],
                ), )*],
            );
            #[used]
            #[cfg_attr(target_os = "linux", link_section = "resilient_views")]
            static POINTER: &$crate::__private::EnumViewRecord = &RECORD;
        };
    };
}

/// The case enum of an [`enum_view!`](crate::enum_view) and its `read`:
/// with an `Unknown` arm, or (a frozen view) without one.
#[doc(hidden)]
#[macro_export]
macro_rules! __enum_view_cases {
    (
        []
        $(#[$meta:meta])*
        $vis:vis enum $read:ident : $view:ident {
            $( $(#[$cmeta:meta])* $case:ident [$payload:ty], )*
        }
    ) => {
        $(#[$meta])*
        #[derive(::core::fmt::Debug)]
        $vis enum $read<'a> {
            $(
                $(#[$cmeta])*
                $case($crate::__private::Case<'a, $payload>),
            )*
            /// A case this view does not name (one a later library added).
            Unknown,
        }

        impl<S: $crate::Strategy> $view<S> {
            /// The case of `value`, to `match` on: `Unknown` for a case
            /// this view does not name.
            ///
            /// # Panics
            ///
            /// If `value` is of another binding than this view.
            pub fn read<'a>(&'a self, value: $crate::Ref<'a, $view>) -> $read<'a> {
                match self.__known(value) {
                    ::core::result::Result::Ok(case) => case,
                    ::core::result::Result::Err(_) => $read::Unknown,
                }
            }

            /// As [`read`](Self::read) (which never fails for a view that
            /// is not frozen: a case it does not name is `Unknown`).
            ///
            /// # Errors
            ///
            /// None for this view; the signature is a frozen view's.
            ///
            /// # Panics
            ///
            /// If `value` is of another binding than this view.
            pub fn try_read<'a>(
                &'a self,
                value: $crate::Ref<'a, $view>,
            ) -> ::core::result::Result<$read<'a>, $crate::Error> {
                ::core::result::Result::Ok(self.read(value))
            }
        }
    };
    (
        [$fp:expr]
        $(#[$meta:meta])*
        $vis:vis enum $read:ident : $view:ident {
            $( $(#[$cmeta:meta])* $case:ident [$payload:ty], )*
        }
    ) => {
        $(#[$meta])*
        #[derive(::core::fmt::Debug)]
        $vis enum $read<'a> {
            $(
                $(#[$cmeta])*
                $case($crate::__private::Case<'a, $payload>),
            )*
        }

        impl<S: $crate::Strategy> $view<S> {
            /// The case of `value`, to `match` on exhaustively (the enum is
            /// frozen, and binding checked that this view names every case).
            ///
            /// # Panics
            ///
            /// If `value` is of another binding than this view, or if the
            /// library breaks its frozen promise and the value is in a case
            /// its metadata does not list (see [`try_read`](Self::try_read)).
            #[track_caller]
            pub fn read<'a>(&'a self, value: $crate::Ref<'a, $view>) -> $read<'a> {
                match self.try_read(value) {
                    ::core::result::Result::Ok(case) => case,
                    ::core::result::Result::Err(e) => ::core::panic!("{e}"),
                }
            }

            /// The case of `value`, to `match` on exhaustively.
            ///
            /// # Errors
            ///
            /// [`Error::UnknownCase`]($crate::Error::UnknownCase) if the
            /// value is in a case the library's metadata does not list (a
            /// frozen library that broke its promise): never another
            /// case's arm.
            ///
            /// # Panics
            ///
            /// If `value` is of another binding than this view.
            pub fn try_read<'a>(
                &'a self,
                value: $crate::Ref<'a, $view>,
            ) -> ::core::result::Result<$read<'a>, $crate::Error> {
                self.__known(value).map_err(|ptr| $crate::Error::UnknownCase {
                    ty: ::core::convert::From::from(<Self as $crate::View>::TYPE_NAME),
                    // SAFETY: `ptr` is the live value `value` borrows.
                    key: unsafe { self.__reader.raw_key(ptr) },
                })
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __enum_payload {
    () => {
        ()
    };
    ($p:ident) => {
        $p
    };
}

/// A payload field's exported name: `_0` is the tuple field `0`.
#[doc(hidden)]
pub const fn payload_name(written: &'static str) -> &'static str {
    let name = layout_meta::unraw(written);
    let b = name.as_bytes();
    if b.len() >= 2 && b[0] == b'_' {
        let mut i = 1;
        while i < b.len() {
            if !b[i].is_ascii_digit() {
                return name;
            }
            i += 1;
        }
        if let Ok(rest) = core::str::from_utf8(b.split_at(1).1) {
            return rest;
        }
    }
    name
}
