//! The view-record decoder over arbitrary images: never a panic; what it
//! decodes round-trips through the record writer, and binding it by the view
//! rule (`layout_meta::compat::bind_view`) never panics and places only what
//! the rule allows. The same input is also read as an enum view record
//! (`decode_enum_view`, magic `RSLNTEV`): never a panic, what it decodes
//! round-trips through the record writer, and binds by the enum view rule
//! (`compat::bind_enum_view`) without panicking.
#![no_main]

use layout_meta::compat::{bind_enum_view, bind_view};
use layout_meta::needs::{decode_enum_view, decode_view, EnumNeed};
use layout_meta::{FieldLayout, ModuleLayout, TypeLayout, WitnessAddrs};
use libfuzzer_sys::fuzz_target;
use resilient_fuzz::{assert_placement, encode_enum_view, encode_view, Input};

/// A module that lists the view's type with the view's own fields laid out
/// one after another (`None` if no such layout exists), so binding gets past
/// the module and type rules; the view's nested types are listed too, empty,
/// with the size and alignment the view gives them.
fn module_for(need: &layout_meta::needs::ViewNeed) -> Option<ModuleLayout> {
    let mut fields = Vec::new();
    let (mut end, mut align) = (0usize, 1usize);
    for f in &need.fields {
        let a = f.identity.align();
        let offset = end.checked_next_multiple_of(a)?;
        end = offset.checked_add(f.identity.size())?;
        align = align.max(a);
        fields.push(FieldLayout {
            name: f.name.clone(),
            offset,
            identity: f.identity.clone(),
        });
    }
    let size = end.checked_next_multiple_of(align)?;
    let mut ty = TypeLayout {
        name: need.type_name.clone(),
        flags: layout_meta::flags::FROZEN,
        size,
        align,
        stride: size,
        fingerprint: 0,
        fields,
        witnesses: WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: None,
    };
    ty.fingerprint = ty.compute_fingerprint();
    let mut types = vec![ty];
    for f in &need.fields {
        if let layout_meta::Identity::Resilient { name, size, align } = &f.identity {
            if types.iter().all(|t| &t.name != name) {
                let mut inner = TypeLayout {
                    name: name.clone(),
                    flags: 0,
                    size: *size,
                    align: *align,
                    stride: *size,
                    fingerprint: 0,
                    fields: Vec::new(),
                    witnesses: WitnessAddrs::default(),
                    accessors: Vec::new(),
                    enum_info: None,
                };
                inner.fingerprint = inner.compute_fingerprint();
                types.push(inner);
            }
        }
    }
    let module = ModuleLayout {
        name: need.module.clone(),
        version: "1.0.0".into(),
        types,
        functions: Vec::new(),
        impls: Vec::new(),
    };
    layout_meta::verify(&module).ok().map(|()| module)
}

/// An enum need decoded from arbitrary bytes binds, by the enum view rule,
/// without a panic: refused against a module without the enum, and against
/// one whose type of that name is a struct.
fn check_enum_need(need: &EnumNeed) {
    let _ = need.heap_bytes();
    let mut module = ModuleLayout {
        name: need.module.clone(),
        version: "1.0.0".into(),
        types: Vec::new(),
        functions: Vec::new(),
        impls: Vec::new(),
    };
    assert!(bind_enum_view(need, &module).is_err());
    let mut ty = TypeLayout {
        name: need.type_name.clone(),
        flags: layout_meta::flags::FROZEN,
        size: 0,
        align: 1,
        stride: 0,
        fingerprint: 0,
        fields: Vec::new(),
        witnesses: WitnessAddrs::default(),
        accessors: Vec::new(),
        enum_info: None,
    };
    ty.fingerprint = ty.compute_fingerprint();
    module.types.push(ty);
    let refused = bind_enum_view(need, &module).expect_err("a struct is not an enum");
    for m in &refused {
        let _ = m.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    if let Ok(need) = decode_enum_view(&input.memory(), input.record) {
        check_enum_need(&need);
        // What is decoded reads back the same after the record writer.
        let base = input.base ^ 0x5555_0000;
        let image = encode_enum_view(&need, base);
        let mem = layout_meta::SliceMemory {
            base,
            bytes: &image,
            code: (0, 0),
        };
        assert_eq!(
            decode_enum_view(&mem, base).expect("re-encoded enum view decodes"),
            need
        );
        return;
    }
    let Ok(need) = decode_view(&input.memory(), input.record) else {
        return;
    };
    let _ = need.heap_bytes();
    // Binding the need never panics: against a module without its type...
    let empty = ModuleLayout {
        name: need.module.clone(),
        version: "1.0.0".into(),
        types: Vec::new(),
        functions: Vec::new(),
        impls: Vec::new(),
    };
    assert!(bind_view(&need, &empty).is_err());
    // ... and against one made of its own fields, where what binds is
    // placed as the rule says.
    if let Some(module) = module_for(&need) {
        match bind_view(&need, &module) {
            Ok(placement) => assert_placement(&need, &module, &placement),
            Err(mismatches) => {
                assert!(!mismatches.is_empty());
                for m in &mismatches {
                    let _ = m.to_string();
                }
            }
        }
    }
    let base = input.base ^ 0x5555_0000;
    let image = encode_view(&need, base);
    let mem = layout_meta::SliceMemory {
        base,
        bytes: &image,
        code: (0, 0),
    };
    assert_eq!(
        decode_view(&mem, base).expect("re-encoded view decodes"),
        need
    );
});
