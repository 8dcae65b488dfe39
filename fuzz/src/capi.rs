//! The `capi` target's input format and interpreter: a program of calls to
//! the C API (`crates/capi`, `cpp/include/resilient/resilient.h`) whose
//! arguments come from the input, run against one real fixture library.
//!
//! # The fixture
//!
//! `widget-v1` (`tests/plugins/widget-v1`), the Rust cdylib the workspace
//! tests use: module `widgets`, a clonable, default-constructible `Widget`
//! that owns a heap allocation of the library (its private label) and
//! counts its live values (`widget_live_count`), and the frozen,
//! plain-old-data `Point` it nests. It is built by `resilient-testkit` as
//! the workspace tests build it, into `target/fixtures/debug/debug/`:
//! `cargo test --manifest-path fuzz/Cargo.toml` does it ([`build_fixture`],
//! before it checks the seeds); the target only opens the file
//! ([`fixture_path`]), once per process, so the fuzzer never runs cargo.
//! `RESILIENT_FUZZ_CAPI_LIBRARY` names another build of it.
//!
//! # The input
//!
//! A sequence of operations ([`Op`]), each a tag byte (modulo the number of
//! operations) and its arguments, read until the input ends (a truncated
//! operation is dropped). Integers are little-endian; a string ([`Str`]) is
//! a length byte and that many bytes, cut at the first NUL (length 255 is a
//! NULL pointer); a described type ([`Expect`]) is a node count (0: a NULL
//! pointer) and that many `rsl_expect` nodes, each naming its element by
//! index into the same list (so cycles are expressible; 255 is NULL). A
//! handle argument is an index byte into the handles of that kind made so
//! far (modulo their number).
//!
//! # What is checked
//!
//! The C API's promises for any data a caller passes while keeping the
//! pointer contracts of the header (live handles, buffers as large as
//! their stated sizes, values used with a binding of their type): nothing
//! crashes (AddressSanitizer), no panic reaches the boundary
//! (`RSL_ERROR_PANIC` fails the run), a failure is a status with a message
//! in the error, a NULL argument is an error; a token is accepted only by
//! its own binding with its own offset (a forged or stale token that works
//! must equal a genuine one); a refused write leaves the field unchanged, an
//! accepted one reads back; and after the program every value has been
//! dropped exactly once (the library's live count is back where it was;
//! LeakSanitizer finds the rest).

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::PathBuf;
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use layout_meta::ModuleLayout;
use resilient::rsl_status::{self, *};
use resilient::*;

/// The fixture package.
pub const FIXTURE: &str = "widget-v1";

/// Where the fixture library is: `RESILIENT_FUZZ_CAPI_LIBRARY`, or where
/// [`build_fixture`] puts it (`resilient_testkit::Build` for the debug
/// profile: `target/fixtures/debug/debug/` of the main workspace).
pub fn fixture_path() -> PathBuf {
    if let Some(p) = std::env::var_os("RESILIENT_FUZZ_CAPI_LIBRARY") {
        return p.into();
    }
    resilient_testkit::workspace_root()
        .join("target/fixtures/debug/debug")
        .join(resilient_testkit::library_file_name(FIXTURE))
}

/// Builds the fixture with `resilient-testkit` (as the workspace tests do)
/// and returns its path, which is [`fixture_path`]'s default.
///
/// # Panics
///
/// If the build fails.
pub fn build_fixture() -> PathBuf {
    let dir = resilient_testkit::Build::new(resilient_testkit::Profile::Debug).run(&[FIXTURE]);
    let path = dir.join(resilient_testkit::library_file_name(FIXTURE));
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

// ------------------------------------------------------------------ input

/// A C string argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Str {
    /// A NULL pointer.
    Null,
    /// These bytes, NUL-terminated (cut at a NUL they hold).
    Bytes(Vec<u8>),
}

impl Str {
    /// `s` as an argument.
    pub fn of(s: &str) -> Str {
        Str::Bytes(s.as_bytes().to_vec())
    }
}

/// One `rsl_expect` node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// `kind` (`RSL_EXPECT_*`, or any other number).
    pub kind: u32,
    /// `name`.
    pub name: Str,
    /// `size`, `align`, `count`.
    pub size: u64,
    /// See `size`.
    pub align: u64,
    /// See `size`.
    pub count: u64,
    /// `element`: the node of this index in the same list, 255 for NULL.
    pub element: u8,
}

/// A described type: `nodes[0]` is the one passed; empty is NULL.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Expect(pub Vec<Node>);

impl Expect {
    /// A scalar by name.
    pub fn scalar(name: &str) -> Expect {
        Expect(vec![leaf(RSL_EXPECT_SCALAR, name, 0, 0)])
    }
    /// A nested resilient type by name.
    pub fn nested(name: &str) -> Expect {
        Expect(vec![leaf(RSL_EXPECT_NESTED, name, 0, 0)])
    }
    /// An opaque type.
    pub fn opaque(name: &str, size: u64, align: u64) -> Expect {
        Expect(vec![leaf(RSL_EXPECT_OPAQUE, name, size, align)])
    }
    /// `count` elements of `element`.
    pub fn array(element: Expect, count: u64) -> Expect {
        let mut nodes = vec![Node {
            kind: RSL_EXPECT_ARRAY,
            name: Str::Null,
            size: 0,
            align: 0,
            count,
            element: 1,
        }];
        for mut n in element.0 {
            if n.element != 255 {
                n.element = n.element.saturating_add(1);
            }
            nodes.push(n);
        }
        Expect(nodes)
    }
}

fn leaf(kind: u32, name: &str, size: u64, align: u64) -> Node {
    Node {
        kind,
        name: Str::of(name),
        size,
        align,
        count: 0,
        element: 255,
    }
}

/// Which library a call uses: the fixture opened once, or one opened by
/// [`Op::LibraryOpen`].
pub const MAIN_LIBRARY: u8 = 0;

/// One call (or a few related ones) of the C API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `rsl_view_new(module, type_name)`.
    ViewNew {
        /// Module name.
        module: Str,
        /// Type name.
        ty: Str,
    },
    /// `rsl_view_add_field` with everything from the input.
    AddField {
        /// View index.
        view: u8,
        /// Field name.
        name: Str,
        /// `required`, as passed.
        required: i32,
        /// `access`, as passed.
        access: i32,
        /// The expected type.
        expect: Expect,
    },
    /// `rsl_view_add_field` of an entry of [`known_fields`] (the fixture's
    /// fields as they are, and as they are not).
    AddKnown {
        /// View index.
        view: u8,
        /// Entry of [`known_fields`] (modulo their number).
        which: u8,
        /// `required`.
        required: bool,
    },
    /// `rsl_view_set_frozen`: the fixture's fingerprint of the type named
    /// `ty` (if `real`), or `fingerprint`.
    SetFrozen {
        /// View index.
        view: u8,
        /// Take the fixture's fingerprint of this type.
        real: Option<Str>,
        /// Otherwise this one.
        fingerprint: u64,
    },
    /// `rsl_view_bind`, then every token of the binding (`rsl_bound_field`).
    Bind {
        /// View index.
        view: u8,
        /// Library: [`MAIN_LIBRARY`], else one opened here (index + 1).
        library: u8,
    },
    /// `rsl_view_free`.
    ViewFree {
        /// View index.
        view: u8,
    },
    /// `rsl_bound_free` (deferred while values in rooms of it live).
    BoundFree {
        /// Binding index.
        bound: u8,
    },
    /// Every `rsl_bound_*` query.
    BoundQuery {
        /// Binding index.
        bound: u8,
    },
    /// `rsl_bound_field(index)`.
    BoundField {
        /// Binding index.
        bound: u8,
        /// Field index, as passed.
        index: u64,
    },
    /// `rsl_bound_field_named`.
    FieldNamed {
        /// Binding index.
        bound: u8,
        /// Field name.
        name: Str,
        /// The type asked for (empty: NULL, as declared).
        expect: Expect,
        /// `access`, as passed.
        access: i32,
    },
    /// A token made up: its binding, offset and index chosen from genuine
    /// ones (of live or freed bindings), shifted, or arbitrary.
    Forge {
        /// 0: `raw`; 1: a binding's id; 2: one plus it; else 0.
        binding_kind: u8,
        /// Binding record index (kind 1, 2).
        binding: u8,
        /// 0: `offset`; 1: a known token's offset; 2: it plus `offset`.
        offset_kind: u8,
        /// Known token index (kinds 1, 2).
        token: u8,
        /// The index field.
        index: u32,
        /// Raw binding id (kind 0).
        raw: u64,
        /// Raw offset (kind 0), or the shift (kind 2).
        offset: u64,
    },
    /// `rsl_value_new`.
    ValueNew {
        /// Binding index.
        bound: u8,
    },
    /// `rsl_value_clone`.
    ValueClone {
        /// Value index.
        value: u8,
    },
    /// `rsl_value_free`.
    ValueFree {
        /// Value index.
        value: u8,
    },
    /// `rsl_value_get` (the buffer is `size` bytes).
    ValueGet {
        /// Value index.
        value: u8,
        /// Token index.
        token: u8,
        /// Buffer size.
        size: u16,
    },
    /// `rsl_value_set`.
    ValueSet {
        /// Value index.
        value: u8,
        /// Token index.
        token: u8,
        /// The bytes written.
        bytes: Vec<u8>,
    },
    /// `rsl_bound_init_at` in fresh room, at `offset` in it (to misalign),
    /// stating `size` bytes (at most what is there).
    InitAt {
        /// Binding index.
        bound: u8,
        /// Offset in the room.
        offset: u8,
        /// Stated room size.
        size: u16,
    },
    /// `rsl_bound_clone_at` of a heap value (`from_room` false) or a value
    /// in room into fresh room.
    CloneAt {
        /// Binding index.
        bound: u8,
        /// Take the source from values in room.
        from_room: bool,
        /// Source index.
        src: u8,
        /// Offset in the new room.
        offset: u8,
        /// Stated room size.
        size: u16,
    },
    /// `rsl_bound_drop_at` of a value in room, with a binding of its type.
    DropAt {
        /// Room index.
        room: u8,
        /// Binding index (another binding of the same type may drop it).
        bound: u8,
    },
    /// `rsl_bound_get` on a heap value or a value in room.
    BoundGet {
        /// Binding index.
        bound: u8,
        /// Target in rooms (else heap values).
        in_room: bool,
        /// Target index.
        target: u8,
        /// Token index.
        token: u8,
        /// Buffer size.
        size: u16,
    },
    /// `rsl_bound_set` on a heap value or a value in room.
    BoundSet {
        /// Binding index.
        bound: u8,
        /// Target in rooms (else heap values).
        in_room: bool,
        /// Target index.
        target: u8,
        /// Token index.
        token: u8,
        /// The bytes written.
        bytes: Vec<u8>,
    },
    /// A call with NULL where the header allows NULL to be passed (and
    /// requires an error or a neutral answer): function `which`, with the
    /// pointer arguments `mask` selects NULL.
    Nulls {
        /// The function (modulo their number).
        which: u8,
        /// Which pointer arguments are NULL (at least one is).
        mask: u8,
    },
    /// `rsl_library_open` of the fixture, a missing file or a file that is
    /// not ELF (`which` modulo 3).
    LibraryOpen {
        /// Which path.
        which: u8,
    },
    /// `rsl_library_close` of a library opened here (the fixture stays).
    LibraryClose {
        /// Library index (of those opened here).
        library: u8,
    },
    /// Pass NULL for `err` from now on (or again a live error).
    ToggleError,
}

const OPS: u8 = 26;

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
    fn bytes(&mut self, n: usize) -> Option<Vec<u8>> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head.to_vec())
    }
    fn str(&mut self) -> Option<Str> {
        match self.u8()? {
            255 => Some(Str::Null),
            n => self.bytes(n.into()).map(Str::Bytes),
        }
    }
    fn blob(&mut self) -> Option<Vec<u8>> {
        let n = self.u16()?;
        self.bytes(n.into())
    }
    fn expect(&mut self) -> Option<Expect> {
        let n = self.u8()? % 9;
        let mut nodes = Vec::new();
        for _ in 0..n {
            nodes.push(Node {
                kind: self.u32()?,
                name: self.str()?,
                size: self.u64()?,
                align: self.u64()?,
                count: self.u64()?,
                element: self.u8()?,
            });
        }
        Some(Expect(nodes))
    }
    fn op(&mut self) -> Option<Op> {
        let r = self;
        Some(match r.u8()? % OPS {
            0 => Op::ViewNew {
                module: r.str()?,
                ty: r.str()?,
            },
            1 => Op::AddField {
                view: r.u8()?,
                name: r.str()?,
                required: r.u32()? as i32,
                access: r.u32()? as i32,
                expect: r.expect()?,
            },
            2 => Op::AddKnown {
                view: r.u8()?,
                which: r.u8()?,
                required: r.u8()? & 1 != 0,
            },
            3 => Op::SetFrozen {
                view: r.u8()?,
                real: match r.u8()? & 1 {
                    1 => Some(r.str()?),
                    _ => None,
                },
                fingerprint: r.u64()?,
            },
            4 => Op::Bind {
                view: r.u8()?,
                library: r.u8()?,
            },
            5 => Op::ViewFree { view: r.u8()? },
            6 => Op::BoundFree { bound: r.u8()? },
            7 => Op::BoundQuery { bound: r.u8()? },
            8 => Op::BoundField {
                bound: r.u8()?,
                index: r.u64()?,
            },
            9 => Op::FieldNamed {
                bound: r.u8()?,
                name: r.str()?,
                expect: r.expect()?,
                access: r.u32()? as i32,
            },
            10 => Op::Forge {
                binding_kind: r.u8()?,
                binding: r.u8()?,
                offset_kind: r.u8()?,
                token: r.u8()?,
                index: r.u32()?,
                raw: r.u64()?,
                offset: r.u64()?,
            },
            11 => Op::ValueNew { bound: r.u8()? },
            12 => Op::ValueClone { value: r.u8()? },
            13 => Op::ValueFree { value: r.u8()? },
            14 => Op::ValueGet {
                value: r.u8()?,
                token: r.u8()?,
                size: r.u16()?,
            },
            15 => Op::ValueSet {
                value: r.u8()?,
                token: r.u8()?,
                bytes: r.blob()?,
            },
            16 => Op::InitAt {
                bound: r.u8()?,
                offset: r.u8()?,
                size: r.u16()?,
            },
            17 => Op::CloneAt {
                bound: r.u8()?,
                from_room: r.u8()? & 1 != 0,
                src: r.u8()?,
                offset: r.u8()?,
                size: r.u16()?,
            },
            18 => Op::DropAt {
                room: r.u8()?,
                bound: r.u8()?,
            },
            19 => Op::BoundGet {
                bound: r.u8()?,
                in_room: r.u8()? & 1 != 0,
                target: r.u8()?,
                token: r.u8()?,
                size: r.u16()?,
            },
            20 => Op::BoundSet {
                bound: r.u8()?,
                in_room: r.u8()? & 1 != 0,
                target: r.u8()?,
                token: r.u8()?,
                bytes: r.blob()?,
            },
            21 => Op::Nulls {
                which: r.u8()?,
                mask: r.u8()?,
            },
            22 => Op::LibraryOpen { which: r.u8()? },
            23 => Op::LibraryClose { library: r.u8()? },
            24 => Op::ToggleError,
            _ => Op::BoundQuery { bound: r.u8()? },
        })
    }
}

/// The operations `data` holds, in order (a truncated last one dropped).
pub fn parse(data: &[u8]) -> Vec<Op> {
    let mut r = Reader(data);
    let mut ops = Vec::new();
    while let Some(op) = r.op() {
        ops.push(op);
    }
    ops
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &Str) {
        match s {
            Str::Null => self.u8(255),
            Str::Bytes(b) => {
                let b = &b[..b.len().min(254)];
                self.u8(b.len() as u8);
                self.0.extend_from_slice(b);
            }
        }
    }
    fn blob(&mut self, b: &[u8]) {
        let b = &b[..b.len().min(usize::from(u16::MAX))];
        self.u16(b.len() as u16);
        self.0.extend_from_slice(b);
    }
    fn expect(&mut self, e: &Expect) {
        let nodes = &e.0[..e.0.len().min(8)];
        self.u8(nodes.len() as u8);
        for n in nodes {
            self.u32(n.kind);
            self.str(&n.name);
            self.u64(n.size);
            self.u64(n.align);
            self.u64(n.count);
            self.u8(n.element);
        }
    }
    fn op(&mut self, op: &Op) {
        match op {
            Op::ViewNew { module, ty } => {
                self.u8(0);
                self.str(module);
                self.str(ty);
            }
            Op::AddField {
                view,
                name,
                required,
                access,
                expect,
            } => {
                self.u8(1);
                self.u8(*view);
                self.str(name);
                self.u32(*required as u32);
                self.u32(*access as u32);
                self.expect(expect);
            }
            Op::AddKnown {
                view,
                which,
                required,
            } => {
                self.u8(2);
                self.u8(*view);
                self.u8(*which);
                self.u8(u8::from(*required));
            }
            Op::SetFrozen {
                view,
                real,
                fingerprint,
            } => {
                self.u8(3);
                self.u8(*view);
                match real {
                    Some(s) => {
                        self.u8(1);
                        self.str(s);
                    }
                    None => self.u8(0),
                }
                self.u64(*fingerprint);
            }
            Op::Bind { view, library } => {
                self.u8(4);
                self.u8(*view);
                self.u8(*library);
            }
            Op::ViewFree { view } => {
                self.u8(5);
                self.u8(*view);
            }
            Op::BoundFree { bound } => {
                self.u8(6);
                self.u8(*bound);
            }
            Op::BoundQuery { bound } => {
                self.u8(7);
                self.u8(*bound);
            }
            Op::BoundField { bound, index } => {
                self.u8(8);
                self.u8(*bound);
                self.u64(*index);
            }
            Op::FieldNamed {
                bound,
                name,
                expect,
                access,
            } => {
                self.u8(9);
                self.u8(*bound);
                self.str(name);
                self.expect(expect);
                self.u32(*access as u32);
            }
            Op::Forge {
                binding_kind,
                binding,
                offset_kind,
                token,
                index,
                raw,
                offset,
            } => {
                self.u8(10);
                self.u8(*binding_kind);
                self.u8(*binding);
                self.u8(*offset_kind);
                self.u8(*token);
                self.u32(*index);
                self.u64(*raw);
                self.u64(*offset);
            }
            Op::ValueNew { bound } => {
                self.u8(11);
                self.u8(*bound);
            }
            Op::ValueClone { value } => {
                self.u8(12);
                self.u8(*value);
            }
            Op::ValueFree { value } => {
                self.u8(13);
                self.u8(*value);
            }
            Op::ValueGet { value, token, size } => {
                self.u8(14);
                self.u8(*value);
                self.u8(*token);
                self.u16(*size);
            }
            Op::ValueSet {
                value,
                token,
                bytes,
            } => {
                self.u8(15);
                self.u8(*value);
                self.u8(*token);
                self.blob(bytes);
            }
            Op::InitAt {
                bound,
                offset,
                size,
            } => {
                self.u8(16);
                self.u8(*bound);
                self.u8(*offset);
                self.u16(*size);
            }
            Op::CloneAt {
                bound,
                from_room,
                src,
                offset,
                size,
            } => {
                self.u8(17);
                self.u8(*bound);
                self.u8(u8::from(*from_room));
                self.u8(*src);
                self.u8(*offset);
                self.u16(*size);
            }
            Op::DropAt { room, bound } => {
                self.u8(18);
                self.u8(*room);
                self.u8(*bound);
            }
            Op::BoundGet {
                bound,
                in_room,
                target,
                token,
                size,
            } => {
                self.u8(19);
                self.u8(*bound);
                self.u8(u8::from(*in_room));
                self.u8(*target);
                self.u8(*token);
                self.u16(*size);
            }
            Op::BoundSet {
                bound,
                in_room,
                target,
                token,
                bytes,
            } => {
                self.u8(20);
                self.u8(*bound);
                self.u8(u8::from(*in_room));
                self.u8(*target);
                self.u8(*token);
                self.blob(bytes);
            }
            Op::Nulls { which, mask } => {
                self.u8(21);
                self.u8(*which);
                self.u8(*mask);
            }
            Op::LibraryOpen { which } => {
                self.u8(22);
                self.u8(*which);
            }
            Op::LibraryClose { library } => {
                self.u8(23);
                self.u8(*library);
            }
            Op::ToggleError => self.u8(24),
        }
    }
}

/// `ops` in the format [`parse`] reads.
pub fn encode(ops: &[Op]) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    for op in ops {
        w.op(op);
    }
    w.0
}

/// A field the fixture has (or lacks, or has otherwise), as a view may
/// declare it: name, access, expected type.
pub fn known_fields() -> Vec<(&'static str, c_int, Expect)> {
    let u8s = |n| Expect::array(Expect::scalar("u8"), n);
    vec![
        ("id", RSL_BY_VALUE, Expect::scalar("u64")),
        ("weight", RSL_BY_VALUE, Expect::scalar("f32")),
        ("flags", RSL_BY_VALUE, Expect::scalar("u16")),
        ("tags", RSL_BY_VALUE, u8s(4)),
        ("origin", RSL_NESTED, Expect::nested("Point")),
        ("active", RSL_BY_VALUE, Expect::scalar("bool")),
        ("x", RSL_BY_VALUE, Expect::scalar("i32")),
        ("y", RSL_BY_VALUE, Expect::scalar("i32")),
        // Private, so absent.
        ("label", RSL_BY_VALUE, Expect::scalar("u64")),
        // Retyped.
        ("id", RSL_BY_VALUE, Expect::scalar("u32")),
        ("tags", RSL_BY_VALUE, u8s(3)),
        ("active", RSL_BY_VALUE, Expect::scalar("char")),
        // A resilient type by value.
        ("origin", RSL_BY_VALUE, Expect::nested("Point")),
        ("origin", RSL_BY_VALUE, Expect::opaque("Point", 8, 4)),
        ("origin", RSL_NESTED, Expect::nested("Widget")),
        ("tags", RSL_NESTED, u8s(4)),
        ("weight", RSL_BY_VALUE, Expect::opaque("f32", 4, 4)),
    ]
}

// ----------------------------------------------------------------- running

/// The fixture, opened once per process.
struct Fixture {
    /// The `rsl_library` handle, never closed.
    lib: usize,
    /// The module as the offline reader reads the file.
    module: ModuleLayout,
    /// `widget_live_count` of the loaded library.
    live_count: unsafe extern "C" fn() -> isize,
    path: CString,
}

fn fixture() -> &'static Fixture {
    static FIXTURE_LIB: OnceLock<Fixture> = OnceLock::new();
    FIXTURE_LIB.get_or_init(|| {
        let path = fixture_path();
        assert!(
            path.is_file(),
            "the capi target needs the fixture {}: run `cargo test --manifest-path fuzz/Cargo.toml` \
             (which builds it with resilient-testkit) or set RESILIENT_FUZZ_CAPI_LIBRARY",
            path.display()
        );
        let module = resilient_offline::Image::read_library(&path)
            .and_then(|i| i.module())
            .expect("the fixture's metadata");
        let c = CString::new(path.as_os_str().as_encoded_bytes()).expect("a path without NUL");
        let mut lib = null_mut();
        // SAFETY: a NUL-terminated path, a writable output, no error.
        let status = unsafe { rsl_library_open(c.as_ptr(), &mut lib, null_mut()) };
        assert_eq!(status, RSL_OK, "the fixture opens");
        // SAFETY: a NUL-terminated path; RTLD_NOLOAD only finds the object
        // the loader has open (and holds it open).
        let handle = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
        assert!(!handle.is_null(), "the fixture is loaded");
        // SAFETY: a live handle, a NUL-terminated name.
        let sym = unsafe { libc::dlsym(handle, c"widget_live_count".as_ptr()) };
        assert!(!sym.is_null(), "the fixture exports widget_live_count");
        Fixture {
            lib: lib as usize,
            module,
            // SAFETY: the fixture defines `widget_live_count` as
            // `extern "C" fn() -> isize` (tests/plugins/common.rs), and the
            // library stays loaded (handles above are never closed).
            live_count: unsafe {
                std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> isize>(sym)
            },
            path: c,
        }
    })
}

/// What a program reached: how many calls of each kind succeeded (what the
/// seed test checks a seed still does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    /// Views bound.
    pub binds: usize,
    /// Values made (heap or room).
    pub values: usize,
    /// Field reads that succeeded.
    pub reads: usize,
    /// Field writes that succeeded.
    pub writes: usize,
    /// Calls refused with an error status (NULL ones included).
    pub refusals: usize,
}

/// A binding made by the program: its handle (NULL once freed), and what
/// it handed out.
struct BoundRec {
    ptr: *mut rsl_bound,
    /// Freeing was asked while values in room needed it.
    free_asked: bool,
    id: u64,
    /// The library (0: the fixture, else the index + 1 of one opened here).
    library: usize,
    type_name: String,
    /// `rsl_bound_field(i)` for every field at bind time.
    genuine: Vec<Option<rsl_field>>,
}

struct HeapValue {
    ptr: *mut rsl_value,
    /// Its binding's record.
    bound: usize,
}

/// Room obtained from the global allocator (aligned to 64).
struct Room {
    base: *mut u8,
    layout: Layout,
    /// The value's address in it.
    at: *mut u8,
    /// The binding record that made it.
    bound: usize,
}

const ROOM_ALIGN: usize = 64;

impl Room {
    fn new(need: usize, offset: u8) -> Room {
        let offset = usize::from(offset) % (2 * ROOM_ALIGN);
        let size = (need + 2 * ROOM_ALIGN).max(ROOM_ALIGN);
        let layout = Layout::from_size_align(size, ROOM_ALIGN).expect("a small layout");
        // SAFETY: a layout of nonzero size.
        let base = unsafe { alloc_zeroed(layout) };
        assert!(!base.is_null(), "allocation");
        Room {
            base,
            layout,
            // SAFETY: `offset < 2 * ROOM_ALIGN <= size`.
            at: unsafe { base.add(offset) },
            bound: usize::MAX,
        }
    }
    /// Bytes from `at` to the end.
    fn len(&self) -> usize {
        self.layout.size() - (self.at as usize - self.base as usize)
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { dealloc(self.base, self.layout) }
    }
}

/// The program's state: every handle it made, freed at the end.
struct State {
    err: *mut rsl_error,
    pass_err: bool,
    views: Vec<*mut rsl_view>,
    bounds: Vec<BoundRec>,
    values: Vec<HeapValue>,
    rooms: Vec<Room>,
    tokens: Vec<rsl_field>,
    libraries: Vec<*mut rsl_library>,
    reached: Reached,
}

fn pick<T>(items: &[T], i: u8) -> Option<usize> {
    (!items.is_empty()).then(|| usize::from(i) % items.len())
}

fn cstring(s: &Str) -> Option<CString> {
    match s {
        Str::Null => None,
        Str::Bytes(b) => {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            CString::new(&b[..end]).ok()
        }
    }
}

fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(null(), |c| c.as_ptr())
}

/// An `Expect` as `rsl_expect` records, with the names they point to.
struct Built {
    nodes: Vec<rsl_expect>,
    _names: Vec<Option<CString>>,
}

impl Built {
    fn new(e: &Expect) -> Built {
        let names: Vec<Option<CString>> = e.0.iter().map(|n| cstring(&n.name)).collect();
        let mut nodes: Vec<rsl_expect> =
            e.0.iter()
                .zip(&names)
                .map(|(n, name)| rsl_expect {
                    kind: n.kind,
                    name: ptr(name),
                    size: n.size as usize,
                    align: n.align as usize,
                    count: n.count as usize,
                    element: null(),
                })
                .collect();
        // The vector is not resized again: element pointers stay valid.
        let base = nodes.as_ptr();
        for (i, n) in e.0.iter().enumerate() {
            if usize::from(n.element) < e.0.len() {
                // SAFETY: an index in the vector.
                nodes[i].element = unsafe { base.add(usize::from(n.element)) };
            }
        }
        Built {
            nodes,
            _names: names,
        }
    }
    fn ptr(&self) -> *const rsl_expect {
        self.nodes
            .first()
            .map_or(null(), |n| n as *const rsl_expect)
    }
}

impl State {
    fn err(&self) -> *mut rsl_error {
        if self.pass_err {
            self.err
        } else {
            null_mut()
        }
    }

    /// Checks what every fallible call promises, and counts refusals.
    fn check(&mut self, status: rsl_status, what: &str) -> rsl_status {
        assert_ne!(
            status, RSL_ERROR_PANIC,
            "{what}: a panic reached the C boundary"
        );
        if !matches!(status, RSL_OK | RSL_ABSENT) {
            self.reached.refusals += 1;
            if self.pass_err {
                // SAFETY: a live error.
                let (s, m) = unsafe {
                    (
                        rsl_error_status(self.err),
                        CStr::from_ptr(rsl_error_message(self.err)),
                    )
                };
                assert_eq!(s, status, "{what}: the error holds the status");
                assert!(!m.to_bytes().is_empty(), "{what}: an error without message");
            }
        }
        status
    }

    fn library(&self, i: usize) -> *const rsl_library {
        match i {
            0 => fixture().lib as *const rsl_library,
            n => self.libraries.get(n - 1).map_or(null(), |l| l.cast_const()),
        }
    }

    /// A live binding by index: its record index.
    fn live_bound(&self, i: u8) -> Option<usize> {
        let live: Vec<usize> = (0..self.bounds.len())
            .filter(|&j| !self.bounds[j].ptr.is_null())
            .collect();
        pick(&live, i).map(|k| live[k])
    }

    fn token(&self, i: u8) -> rsl_field {
        pick(&self.tokens, i).map_or(
            rsl_field {
                binding: 0,
                offset: 0,
                index: 0,
            },
            |k| self.tokens[k],
        )
    }

    /// Whether binding records `a` and `b` are of one type of one library
    /// (so a value of one is a value of the other's type).
    fn same_type(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.bounds[a], &self.bounds[b]);
        a.library == b.library && a.type_name == b.type_name
    }

    /// A token a binding accepted must be one of its genuine ones.
    fn assert_genuine(&self, bound: usize, t: rsl_field) {
        let b = &self.bounds[bound];
        assert_eq!(t.binding, b.id, "a token of another binding was accepted");
        let genuine = usize::try_from(t.index)
            .ok()
            .and_then(|i| b.genuine.get(i).copied().flatten());
        assert_eq!(genuine, Some(t), "a forged token was accepted");
    }

    fn run(&mut self, op: &Op) {
        match op {
            Op::ViewNew { module, ty } => {
                let (m, t) = (cstring(module), cstring(ty));
                let mut out = null_mut();
                // SAFETY: strings NULL or NUL-terminated, a writable output.
                let s = unsafe { rsl_view_new(ptr(&m), ptr(&t), &mut out, self.err()) };
                if self.check(s, "rsl_view_new") == RSL_OK {
                    assert!(!out.is_null());
                    self.views.push(out);
                } else {
                    assert!(out.is_null(), "output written on failure");
                }
            }
            Op::AddField {
                view,
                name,
                required,
                access,
                expect,
            } => {
                let Some(v) = pick(&self.views, *view) else {
                    return;
                };
                let n = cstring(name);
                let e = Built::new(expect);
                // SAFETY: a live view; name NULL or NUL-terminated; the
                // description NULL or readable (its element pointers point
                // into the same live vector, or are NULL).
                let s = unsafe {
                    rsl_view_add_field(
                        self.views[v],
                        ptr(&n),
                        *required,
                        *access,
                        e.ptr(),
                        self.err(),
                    )
                };
                self.check(s, "rsl_view_add_field");
            }
            Op::AddKnown {
                view,
                which,
                required,
            } => {
                let Some(v) = pick(&self.views, *view) else {
                    return;
                };
                let known = known_fields();
                let (name, access, expect) = &known[usize::from(*which) % known.len()];
                let n = CString::new(*name).expect("a name without NUL");
                let e = Built::new(expect);
                // SAFETY: as for `AddField`.
                let s = unsafe {
                    rsl_view_add_field(
                        self.views[v],
                        n.as_ptr(),
                        c_int::from(*required),
                        *access,
                        e.ptr(),
                        self.err(),
                    )
                };
                self.check(s, "rsl_view_add_field");
            }
            Op::SetFrozen {
                view,
                real,
                fingerprint,
            } => {
                let Some(v) = pick(&self.views, *view) else {
                    return;
                };
                let fp = real
                    .as_ref()
                    .and_then(|s| match s {
                        Str::Bytes(b) => std::str::from_utf8(b).ok(),
                        Str::Null => None,
                    })
                    .and_then(|name| fixture().module.get(name))
                    .map_or(*fingerprint, |t| t.fingerprint);
                // SAFETY: a live view.
                let s = unsafe { rsl_view_set_frozen(self.views[v], fp, self.err()) };
                assert_eq!(self.check(s, "rsl_view_set_frozen"), RSL_OK);
            }
            Op::Bind { view, library } => {
                let Some(v) = pick(&self.views, *view) else {
                    return;
                };
                let lib_index = usize::from(*library) % (self.libraries.len() + 1);
                let lib = self.library(lib_index);
                let mut out = null_mut();
                // SAFETY: live handles, a writable output.
                let s = unsafe { rsl_view_bind(self.views[v], lib, &mut out, self.err()) };
                if self.check(s, "rsl_view_bind") != RSL_OK {
                    assert!(out.is_null(), "output written on failure");
                    return;
                }
                assert!(!out.is_null());
                self.reached.binds += 1;
                // SAFETY: a live binding.
                let (id, count, name) = unsafe {
                    (
                        rsl_bound_binding(out),
                        rsl_bound_field_count(out),
                        CStr::from_ptr(rsl_bound_type_name(out))
                            .to_string_lossy()
                            .into_owned(),
                    )
                };
                assert_ne!(id, 0, "a binding id of 0");
                assert!(
                    self.bounds.iter().all(|b| b.id != id),
                    "a binding id given twice"
                );
                let layout = fixture().module.get(&name).expect("a type of the fixture");
                // SAFETY: a live binding.
                unsafe {
                    assert_eq!(rsl_bound_size(out), layout.size);
                    assert_eq!(rsl_bound_align(out), layout.align);
                    assert_eq!(rsl_bound_stride(out), layout.stride);
                    assert_eq!(rsl_bound_flags(out), layout.flags);
                }
                let mut genuine = Vec::new();
                for i in 0..count {
                    let mut t = rsl_field {
                        binding: 0,
                        offset: 0,
                        index: 0,
                    };
                    // SAFETY: a live binding, a writable output.
                    let s = unsafe { rsl_bound_field(out, i, &mut t, self.err()) };
                    match self.check(s, "rsl_bound_field") {
                        RSL_OK => {
                            assert_eq!((t.binding, t.index as usize), (id, i));
                            genuine.push(Some(t));
                            self.tokens.push(t);
                        }
                        RSL_ABSENT => genuine.push(None),
                        other => panic!("rsl_bound_field of a declared field: {other:?}"),
                    }
                }
                self.bounds.push(BoundRec {
                    ptr: out,
                    free_asked: false,
                    id,
                    library: lib_index,
                    type_name: name,
                    genuine,
                });
            }
            Op::ViewFree { view } => {
                if let Some(v) = pick(&self.views, *view) {
                    let p = self.views.swap_remove(v);
                    // SAFETY: a live view, not used again.
                    unsafe { rsl_view_free(p) };
                }
            }
            Op::BoundFree { bound } => {
                let Some(b) = self.live_bound(*bound) else {
                    return;
                };
                if self.rooms.iter().any(|r| r.bound == b) {
                    // Values in room of it are dropped with it at the end.
                    self.bounds[b].free_asked = true;
                    return;
                }
                // SAFETY: a live binding, not used again.
                unsafe { rsl_bound_free(self.bounds[b].ptr) };
                self.bounds[b].ptr = null_mut();
            }
            Op::BoundQuery { bound } => {
                let Some(b) = self.live_bound(*bound) else {
                    return;
                };
                let p = self.bounds[b].ptr;
                // SAFETY: a live binding.
                unsafe {
                    assert_eq!(rsl_bound_binding(p), self.bounds[b].id);
                    assert_eq!(rsl_bound_field_count(p), self.bounds[b].genuine.len());
                    let _ = (rsl_bound_size(p), rsl_bound_align(p), rsl_bound_flags(p));
                    let name = CStr::from_ptr(rsl_bound_type_name(p));
                    assert_eq!(name.to_bytes(), self.bounds[b].type_name.as_bytes());
                }
            }
            Op::BoundField { bound, index } => {
                let Some(b) = self.live_bound(*bound) else {
                    return;
                };
                let mut t = rsl_field {
                    binding: 7,
                    offset: 7,
                    index: 7,
                };
                let index = *index as usize;
                // SAFETY: a live binding, a writable output.
                let s = unsafe { rsl_bound_field(self.bounds[b].ptr, index, &mut t, self.err()) };
                let genuine = self.bounds[b].genuine.get(index).copied();
                match self.check(s, "rsl_bound_field") {
                    RSL_OK => assert_eq!(genuine, Some(Some(t))),
                    RSL_ABSENT => assert_eq!(genuine, Some(None)),
                    _ => assert_eq!(genuine, None, "a declared field refused"),
                }
            }
            Op::FieldNamed {
                bound,
                name,
                expect,
                access,
            } => {
                let Some(b) = self.live_bound(*bound) else {
                    return;
                };
                let n = cstring(name);
                let e = Built::new(expect);
                let mut t = rsl_field {
                    binding: 7,
                    offset: 7,
                    index: 7,
                };
                // SAFETY: a live binding; name NULL or NUL-terminated; the
                // description NULL or readable; a writable output.
                let s = unsafe {
                    rsl_bound_field_named(
                        self.bounds[b].ptr,
                        ptr(&n),
                        e.ptr(),
                        *access,
                        &mut t,
                        self.err(),
                    )
                };
                if self.check(s, "rsl_bound_field_named") == RSL_OK {
                    self.assert_genuine(b, t);
                    self.tokens.push(t);
                }
            }
            Op::Forge {
                binding_kind,
                binding,
                offset_kind,
                token,
                index,
                raw,
                offset,
            } => {
                let id = pick(&self.bounds, *binding).map_or(0, |k| self.bounds[k].id);
                let binding = match binding_kind % 4 {
                    0 => *raw,
                    1 => id,
                    2 => id.wrapping_add(1),
                    _ => 0,
                };
                let known = self.token(*token).offset;
                let offset = match offset_kind % 3 {
                    0 => *offset as usize,
                    1 => known,
                    _ => known.wrapping_add(*offset as usize),
                };
                self.tokens.push(rsl_field {
                    binding,
                    offset,
                    index: *index,
                });
            }
            Op::ValueNew { bound } => {
                let Some(b) = self.live_bound(*bound) else {
                    return;
                };
                let mut out = null_mut();
                // SAFETY: a live binding, a writable output.
                let s = unsafe { rsl_value_new(self.bounds[b].ptr, &mut out, self.err()) };
                if self.check(s, "rsl_value_new") == RSL_OK {
                    self.new_value(out, b);
                }
            }
            Op::ValueClone { value } => {
                let Some(v) = pick(&self.values, *value) else {
                    return;
                };
                let mut out = null_mut();
                // SAFETY: a live value, a writable output.
                let s = unsafe { rsl_value_clone(self.values[v].ptr, &mut out, self.err()) };
                if self.check(s, "rsl_value_clone") == RSL_OK {
                    self.new_value(out, self.values[v].bound);
                }
            }
            Op::ValueFree { value } => {
                if let Some(v) = pick(&self.values, *value) {
                    let p = self.values.swap_remove(v).ptr;
                    // SAFETY: a live value, not used again.
                    unsafe { rsl_value_free(p) };
                }
            }
            Op::ValueGet { value, token, size } => {
                let Some(v) = pick(&self.values, *value) else {
                    return;
                };
                let t = self.token(*token);
                let mut buf = vec![0u8; usize::from(*size)];
                // SAFETY: a live value; `buf` writable for its length.
                let s = unsafe {
                    rsl_value_get(
                        self.values[v].ptr,
                        t,
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        self.err(),
                    )
                };
                if self.check(s, "rsl_value_get") == RSL_OK {
                    self.assert_genuine(self.values[v].bound, t);
                    self.reached.reads += 1;
                }
            }
            Op::ValueSet {
                value,
                token,
                bytes,
            } => {
                let Some(v) = pick(&self.values, *value) else {
                    return;
                };
                let (p, b) = (self.values[v].ptr, self.values[v].bound);
                let t = self.token(*token);
                let get = |out: &mut [u8]| {
                    // SAFETY: a live value; `out` writable for its length.
                    unsafe { rsl_value_get(p, t, out.as_mut_ptr().cast(), out.len(), null_mut()) }
                };
                let mut before = vec![0u8; bytes.len()];
                let readable = get(&mut before) == RSL_OK;
                // SAFETY: a live value; `bytes` readable for its length.
                let s =
                    unsafe { rsl_value_set(p, t, bytes.as_ptr().cast(), bytes.len(), self.err()) };
                self.after_set(s, b, t, bytes, &before, readable, get);
            }
            Op::InitAt {
                bound,
                offset,
                size,
            } => {
                let Some(b) = self.live_bound(*bound) else {
                    return;
                };
                let p = self.bounds[b].ptr;
                // SAFETY: a live binding.
                let need = unsafe { rsl_bound_size(p) };
                let mut room = Room::new(need, *offset);
                let stated = usize::from(*size).min(room.len());
                // SAFETY: a live binding; the room is writable for
                // `stated` bytes, holds no value and outlives it.
                let s = unsafe { rsl_bound_init_at(p, room.at.cast(), stated, self.err()) };
                if self.check(s, "rsl_bound_init_at") == RSL_OK {
                    room.bound = b;
                    self.rooms.push(room);
                    self.reached.values += 1;
                }
            }
            Op::CloneAt {
                bound,
                from_room,
                src,
                offset,
                size,
            } => {
                let Some(b) = self.live_bound(*bound) else {
                    return;
                };
                let source = if *from_room {
                    pick(&self.rooms, *src).map(|r| (self.rooms[r].at, self.rooms[r].bound))
                } else {
                    pick(&self.values, *src).map(|v| {
                        // SAFETY: a live value.
                        let data = unsafe { rsl_value_data(self.values[v].ptr) };
                        (data.cast::<u8>(), self.values[v].bound)
                    })
                };
                // A value of another type is no value of this binding's.
                let Some((src, _)) = source.filter(|&(_, of)| self.same_type(b, of)) else {
                    return;
                };
                let p = self.bounds[b].ptr;
                // SAFETY: a live binding.
                let need = unsafe { rsl_bound_size(p) };
                let mut room = Room::new(need, *offset);
                let stated = usize::from(*size).min(room.len());
                // SAFETY: a live binding; fresh room writable for `stated`
                // bytes; `src` a live value of the type, apart from it.
                let s = unsafe {
                    rsl_bound_clone_at(p, room.at.cast(), stated, src.cast(), self.err())
                };
                if self.check(s, "rsl_bound_clone_at") == RSL_OK {
                    room.bound = b;
                    self.rooms.push(room);
                    self.reached.values += 1;
                }
            }
            Op::DropAt { room, bound } => {
                let Some(r) = pick(&self.rooms, *room) else {
                    return;
                };
                let of = self.rooms[r].bound;
                // Any live binding of the type drops it; else its own.
                let by = self
                    .live_bound(*bound)
                    .filter(|&b| self.same_type(b, of))
                    .unwrap_or(of);
                let room = self.rooms.swap_remove(r);
                // SAFETY: a live binding of the value's type; a live value
                // made in room by `init_at`/`clone_at`, dropped once.
                unsafe { rsl_bound_drop_at(self.bounds[by].ptr, room.at.cast()) };
                self.release(of);
            }
            Op::BoundGet {
                bound,
                in_room,
                target,
                token,
                size,
            } => {
                let Some((b, at, _)) = self.target(*bound, *in_room, *target) else {
                    return;
                };
                let t = self.token(*token);
                let mut buf = vec![0u8; usize::from(*size)];
                // SAFETY: a live binding; a live value of its type; `buf`
                // writable for its length.
                let s = unsafe {
                    rsl_bound_get(
                        self.bounds[b].ptr,
                        at.cast(),
                        t,
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        self.err(),
                    )
                };
                if self.check(s, "rsl_bound_get") == RSL_OK {
                    self.assert_genuine(b, t);
                    self.reached.reads += 1;
                }
            }
            Op::BoundSet {
                bound,
                in_room,
                target,
                token,
                bytes,
            } => {
                let Some((b, at, _)) = self.target(*bound, *in_room, *target) else {
                    return;
                };
                let p = self.bounds[b].ptr;
                let t = self.token(*token);
                let get = |out: &mut [u8]| {
                    // SAFETY: a live binding; a live value of its type;
                    // `out` writable for its length.
                    unsafe {
                        rsl_bound_get(
                            p,
                            at.cast(),
                            t,
                            out.as_mut_ptr().cast(),
                            out.len(),
                            null_mut(),
                        )
                    }
                };
                let mut before = vec![0u8; bytes.len()];
                let readable = get(&mut before) == RSL_OK;
                // SAFETY: a live binding; a live value of its type that
                // nothing else accesses; `bytes` readable for its length.
                let s = unsafe {
                    rsl_bound_set(
                        p,
                        at.cast(),
                        t,
                        bytes.as_ptr().cast(),
                        bytes.len(),
                        self.err(),
                    )
                };
                self.after_set(s, b, t, bytes, &before, readable, get);
            }
            Op::Nulls { which, mask } => self.nulls(*which, *mask),
            Op::LibraryOpen { which } => {
                let path = match which % 3 {
                    0 => fixture().path.clone(),
                    1 => c"/nonexistent/resilient-fuzz.so".to_owned(),
                    // A file that is not ELF: refused before `dlopen`.
                    _ => CString::new(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
                        .expect("a path without NUL"),
                };
                let mut out = null_mut();
                // SAFETY: a NUL-terminated path, a writable output.
                let s = unsafe { rsl_library_open(path.as_ptr(), &mut out, self.err()) };
                if self.check(s, "rsl_library_open") == RSL_OK {
                    assert!(!out.is_null());
                    self.libraries.push(out);
                } else {
                    assert!(out.is_null(), "output written on failure");
                }
            }
            Op::LibraryClose { library } => {
                if let Some(l) = pick(&self.libraries, *library) {
                    // Bindings name libraries by index: keep the slot.
                    let p = std::mem::replace(&mut self.libraries[l], null_mut());
                    // SAFETY: NULL, or a live library not used again.
                    unsafe { rsl_library_close(p) };
                }
            }
            Op::ToggleError => self.pass_err = !self.pass_err,
        }
    }

    /// A heap value made by binding record `b`.
    fn new_value(&mut self, out: *mut rsl_value, b: usize) {
        assert!(!out.is_null());
        // SAFETY: a live value.
        let data = unsafe { rsl_value_data(out) };
        let layout = fixture()
            .module
            .get(&self.bounds[b].type_name)
            .expect("a type of the fixture");
        assert_eq!(data as usize % layout.align, 0, "a misaligned value");
        self.values.push(HeapValue { ptr: out, bound: b });
        self.reached.values += 1;
    }

    /// A binding (live, by index) and a value of its type to use it on.
    fn target(&self, bound: u8, in_room: bool, target: u8) -> Option<(usize, *mut u8, usize)> {
        let b = self.live_bound(bound)?;
        let (at, of) = if in_room {
            let r = pick(&self.rooms, target)?;
            (self.rooms[r].at, self.rooms[r].bound)
        } else {
            let v = pick(&self.values, target)?;
            // SAFETY: a live value.
            let data = unsafe { rsl_value_data(self.values[v].ptr) };
            (data.cast::<u8>(), self.values[v].bound)
        };
        self.same_type(b, of).then_some((b, at, of))
    }

    /// What a write promises: accepted, it reads back; refused, the field
    /// is unchanged. `get` reads the field with the same token.
    #[allow(clippy::too_many_arguments, reason = "one check, its inputs")]
    fn after_set(
        &mut self,
        s: rsl_status,
        b: usize,
        t: rsl_field,
        bytes: &[u8],
        before: &[u8],
        readable: bool,
        get: impl Fn(&mut [u8]) -> rsl_status,
    ) {
        let mut after = vec![0u8; bytes.len()];
        if self.check(s, "rsl_*_set") == RSL_OK {
            self.assert_genuine(b, t);
            self.reached.writes += 1;
            assert_eq!(get(&mut after), RSL_OK, "a field written cannot be read");
            assert_eq!(after, bytes, "a field reads back otherwise");
        } else if readable {
            assert_eq!(get(&mut after), RSL_OK);
            assert_eq!(after, before, "a refused write changed the field");
        }
    }

    /// Frees binding record `b` if its freeing was asked and no value in
    /// room needs it any more.
    fn release(&mut self, b: usize) {
        let rec = &self.bounds[b];
        if rec.free_asked && !rec.ptr.is_null() && self.rooms.iter().all(|r| r.bound != b) {
            // SAFETY: a live binding, not used again.
            unsafe { rsl_bound_free(rec.ptr) };
            self.bounds[b].ptr = null_mut();
        }
    }

    /// Calls function `which` with the pointer arguments `mask` selects
    /// NULL (at least one): every such call is an error, or the neutral
    /// answer the header gives.
    fn nulls(&mut self, which: u8, mask: u8) {
        let err = self.err();
        let bit = |i: u8, arity: u8| {
            let m = if mask.is_multiple_of(1 << arity) {
                1
            } else {
                mask
            };
            m & (1 << i) != 0
        };
        let view = self.views.first().copied().unwrap_or(null_mut());
        let bound = self
            .bounds
            .iter()
            .find(|b| !b.ptr.is_null())
            .map_or(null_mut(), |b| b.ptr);
        let value = self.values.first().map_or(null_mut(), |v| v.ptr);
        let lib = fixture().lib as *const rsl_library;
        let name = c"id";
        let scalar = rsl_expect {
            kind: RSL_EXPECT_SCALAR,
            name: c"u64".as_ptr(),
            size: 0,
            align: 0,
            count: 0,
            element: null(),
        };
        let room = Room::new(4096, 0);
        let mut buf = [0u8; 64];
        let t = self.token(0);
        let nn = |keep: bool, p: *const c_void| if keep { null() } else { p };
        let nm = |keep: bool, p: *mut c_void| if keep { null_mut() } else { p };
        // SAFETY: every pointer is NULL or live (handles of this program,
        // buffers as large as stated, NUL-terminated strings).
        let s = unsafe {
            match which % 20 {
                0 => {
                    let mut out: *mut rsl_library = null_mut();
                    rsl_library_open(
                        nn(bit(0, 2), fixture().path.as_ptr().cast()).cast(),
                        nm(bit(1, 2), (&raw mut out).cast()).cast(),
                        err,
                    )
                }
                1 => {
                    for s in [
                        rsl_library_path(null()),
                        rsl_library_module(null()),
                        rsl_library_version(null()),
                        rsl_bound_type_name(null()),
                        rsl_error_message(null()),
                    ] {
                        assert!(!s.is_null() && CStr::from_ptr(s).is_empty());
                    }
                    assert_eq!(rsl_error_status(null()), RSL_OK);
                    return;
                }
                2 => {
                    let mut out: *mut rsl_view = null_mut();
                    rsl_view_new(
                        nn(bit(0, 3), c"widgets".as_ptr().cast()).cast(),
                        nn(bit(1, 3), c"Widget".as_ptr().cast()).cast(),
                        nm(bit(2, 3), (&raw mut out).cast()).cast(),
                        err,
                    )
                }
                3 => rsl_view_add_field(
                    nm(bit(0, 3), view.cast()).cast(),
                    nn(bit(1, 3), name.as_ptr().cast()).cast(),
                    1,
                    RSL_BY_VALUE,
                    nn(bit(2, 3), (&raw const scalar).cast()).cast(),
                    err,
                ),
                4 => rsl_view_set_frozen(null_mut(), u64::from(mask), err),
                5 => {
                    let mut out: *mut rsl_bound = null_mut();
                    rsl_view_bind(
                        nn(bit(0, 3), view.cast_const().cast()).cast(),
                        nn(bit(1, 3), lib.cast()).cast(),
                        nm(bit(2, 3), (&raw mut out).cast()).cast(),
                        err,
                    )
                }
                6 => {
                    assert_eq!(rsl_bound_binding(null()), 0);
                    assert_eq!(rsl_bound_size(null()), 0);
                    assert_eq!(rsl_bound_align(null()), 0);
                    assert_eq!(rsl_bound_stride(null()), 0);
                    assert_eq!(rsl_bound_flags(null()), 0);
                    assert_eq!(rsl_bound_field_count(null()), 0);
                    assert!(rsl_value_data(null_mut()).is_null());
                    return;
                }
                7 => {
                    let mut out = t;
                    rsl_bound_field(
                        nn(bit(0, 2), bound.cast_const().cast()).cast(),
                        0,
                        nm(bit(1, 2), (&raw mut out).cast()).cast(),
                        err,
                    )
                }
                8 => {
                    let mut out = t;
                    rsl_bound_field_named(
                        nn(bit(0, 3), bound.cast_const().cast()).cast(),
                        nn(bit(1, 3), name.as_ptr().cast()).cast(),
                        null(),
                        RSL_BY_VALUE,
                        nm(bit(2, 3), (&raw mut out).cast()).cast(),
                        err,
                    )
                }
                9 => rsl_bound_init_at(
                    nn(bit(0, 2), bound.cast_const().cast()).cast(),
                    nm(bit(1, 2), room.at.cast()),
                    room.len(),
                    err,
                ),
                10 => {
                    // A source is needed only with a binding and room: a
                    // value in room of the first binding is no value of
                    // any binding's type, so the source stays NULL.
                    let (b, r) = (bit(0, 2), bit(1, 2));
                    rsl_bound_clone_at(
                        nn(b, bound.cast_const().cast()).cast(),
                        nm(r, room.at.cast()),
                        room.len(),
                        null(),
                        err,
                    )
                }
                11 => {
                    rsl_bound_drop_at(null(), room.at.cast());
                    rsl_bound_drop_at(bound, null_mut());
                    return;
                }
                // The value is NULL: a live value of the binding's type is
                // not at hand here (the other ops pass real ones).
                12 => rsl_bound_get(
                    nn(bit(0, 2), bound.cast_const().cast()).cast(),
                    null(),
                    t,
                    nm(bit(1, 2), buf.as_mut_ptr().cast()),
                    buf.len(),
                    err,
                ),
                13 => rsl_bound_set(
                    nn(bit(0, 2), bound.cast_const().cast()).cast(),
                    null_mut(),
                    t,
                    nn(bit(1, 2), buf.as_ptr().cast()),
                    buf.len(),
                    err,
                ),
                14 => {
                    let mut out: *mut rsl_value = null_mut();
                    rsl_value_new(
                        nn(bit(0, 2), bound.cast_const().cast()).cast(),
                        nm(bit(1, 2), (&raw mut out).cast()).cast(),
                        err,
                    )
                }
                15 => {
                    let mut out: *mut rsl_value = null_mut();
                    rsl_value_clone(
                        nn(bit(0, 2), value.cast_const().cast()).cast(),
                        nm(bit(1, 2), (&raw mut out).cast()).cast(),
                        err,
                    )
                }
                16 => rsl_value_get(
                    nn(bit(0, 2), value.cast_const().cast()).cast(),
                    t,
                    nm(bit(1, 2), buf.as_mut_ptr().cast()),
                    buf.len(),
                    err,
                ),
                17 => rsl_value_set(
                    nm(bit(0, 2), value.cast()).cast(),
                    t,
                    nn(bit(1, 2), buf.as_ptr().cast()),
                    buf.len(),
                    err,
                ),
                18 => {
                    rsl_value_free(null_mut());
                    rsl_view_free(null_mut());
                    rsl_bound_free(null_mut());
                    rsl_library_close(null_mut());
                    rsl_error_free(null_mut());
                    return;
                }
                _ => {
                    assert_eq!(rsl_view_bind(view, null(), null_mut(), err), RSL_ERROR_NULL);
                    RSL_ERROR_NULL
                }
            }
        };
        drop(room);
        assert!(
            !matches!(self.check(s, "a call with NULL"), RSL_OK | RSL_ABSENT),
            "a call with a NULL argument succeeded (function {})",
            which % 20
        );
    }

    /// Frees everything the program made, values first.
    fn finish(mut self) -> Reached {
        for v in self.values.drain(..) {
            // SAFETY: a live value, not used again.
            unsafe { rsl_value_free(v.ptr) };
        }
        for r in std::mem::take(&mut self.rooms) {
            // SAFETY: a live value in room, dropped once with the binding
            // that made it (kept live while it lives).
            unsafe { rsl_bound_drop_at(self.bounds[r.bound].ptr, r.at.cast()) };
        }
        for b in &mut self.bounds {
            // SAFETY: NULL or a live binding, not used again.
            unsafe { rsl_bound_free(b.ptr) };
            b.ptr = null_mut();
        }
        for v in self.views.drain(..) {
            // SAFETY: a live view, not used again.
            unsafe { rsl_view_free(v) };
        }
        for l in self.libraries.drain(..) {
            // SAFETY: NULL or a live library, not used again.
            unsafe { rsl_library_close(l) };
        }
        // SAFETY: the live error, not used again.
        unsafe { rsl_error_free(self.err) };
        self.reached
    }
}

/// Runs `ops` against the fixture, checks every promise on the way, frees
/// everything, and checks that every value was dropped exactly once.
///
/// # Panics
///
/// When the C API breaks a promise (module docs), or the fixture is
/// missing.
pub fn run(ops: &[Op]) -> Reached {
    let f = fixture();
    // SAFETY: the fixture's counter, of the library kept loaded.
    let live = unsafe { (f.live_count)() };
    let err = rsl_error_new();
    assert!(!err.is_null());
    let mut state = State {
        err,
        pass_err: true,
        views: Vec::new(),
        bounds: Vec::new(),
        values: Vec::new(),
        rooms: Vec::new(),
        tokens: Vec::new(),
        libraries: Vec::new(),
        reached: Reached::default(),
    };
    for op in ops {
        state.run(op);
    }
    let reached = state.finish();
    // SAFETY: as above.
    let after = unsafe { (f.live_count)() };
    assert_eq!(
        after, live,
        "values of the fixture leaked or were dropped twice"
    );
    reached
}
