//! Writes a [`ModuleLayout`] as version-1 records into a byte image placed at
//! a chosen base address: the inverse of [`crate::decode`]. Tests use it to
//! make valid metadata and then corrupt it; tools use it to build manifests
//! without a compiler.

use alloc::vec;
use alloc::vec::Vec;

use crate::format::{
    offsets, CASE_RECORD_SIZE, ENUM_RECORD_SIZE, FIELD_RECORD_V1_SIZE, FORMAT_VERSION, MAGIC,
    MANIFEST_V1_SIZE, NATIVE_ENDIANNESS, NATIVE_POINTER_WIDTH, TYPE_RECORD_V1_SIZE,
};
use crate::layout::{Identity, ModuleLayout};

const WORD: usize = core::mem::size_of::<usize>();
const IDENTITY_SIZE: usize = core::mem::size_of::<crate::format::TypeIdentity>();

/// An encoded image: `bytes` belong at address `base`; the manifest is at
/// `base` itself.
#[derive(Clone, Debug)]
pub struct Image {
    /// Where the image is meant to sit.
    pub base: usize,
    /// The records.
    pub bytes: Vec<u8>,
}

impl Image {
    /// The image as [`crate::Memory`]; `code` is the range that counts as code.
    pub fn memory(&self, code: (usize, usize)) -> crate::SliceMemory<'_> {
        crate::SliceMemory {
            base: self.base,
            bytes: &self.bytes,
            code,
        }
    }
}

struct Writer {
    base: usize,
    bytes: Vec<u8>,
}

impl Writer {
    fn alloc(&mut self, len: usize) -> usize {
        while self.bytes.len() % 16 != 0 {
            self.bytes.push(0);
        }
        let at = self.bytes.len();
        self.bytes.resize(at + len, 0);
        at
    }
    fn addr(&self, at: usize) -> usize {
        self.base.wrapping_add(at)
    }
    fn put(&mut self, at: usize, data: &[u8]) {
        self.bytes[at..at + data.len()].copy_from_slice(data);
    }
    fn word(&mut self, at: usize, w: usize) {
        self.put(at, &w.to_ne_bytes());
    }
    fn str(&mut self, at: usize, s: &str) {
        let data = self.alloc(s.len());
        self.put(data, s.as_bytes());
        let addr = self.addr(data);
        self.word(at + offsets::of("rsl_str", "ptr"), addr);
        self.word(at + offsets::of("rsl_str", "len"), s.len());
    }
    /// Writes `fields` as a list of field records; returns its address.
    fn fields(&mut self, fields: &[crate::FieldLayout]) -> usize {
        let fo = |f| offsets::of("rsl_field_descriptor", f);
        let list = self.alloc(fields.len() * FIELD_RECORD_V1_SIZE as usize);
        for (j, f) in fields.iter().enumerate() {
            let at = list + j * FIELD_RECORD_V1_SIZE as usize;
            self.str(at + fo("name"), &f.name);
            self.word(at + fo("offset"), f.offset);
            self.identity(at + fo("identity"), &f.identity);
        }
        self.addr(list)
    }
    /// Writes an enum record; returns its address.
    fn enum_record(&mut self, e: &crate::EnumLayout) -> usize {
        let eo = |f| offsets::of("rsl_enum_descriptor", f);
        let co = |f| offsets::of("rsl_case_descriptor", f);
        let rec = self.alloc(ENUM_RECORD_SIZE as usize);
        self.put(
            rec + eo("enum_record_size"),
            &ENUM_RECORD_SIZE.to_ne_bytes(),
        );
        self.put(
            rec + eo("case_record_size"),
            &CASE_RECORD_SIZE.to_ne_bytes(),
        );
        let mut flags = 0u32;
        if let Some((offset, size)) = e.tag {
            flags |= crate::format::enum_flags::TAG_PLAIN;
            self.put(rec + eo("tag_size"), &size.to_ne_bytes());
            self.word(rec + eo("tag_offset"), offset);
        }
        if e.payload_plain {
            flags |= crate::format::enum_flags::PAYLOAD_PLAIN;
        }
        self.put(rec + eo("enum_flags"), &flags.to_ne_bytes());
        self.word(rec + eo("case_count"), e.cases.len());
        self.word(rec + eo("case_of"), e.case_of);
        self.word(rec + eo("locate"), e.locate);
        self.word(rec + eo("write_case"), e.write_case);
        let cases = self.alloc(e.cases.len() * CASE_RECORD_SIZE as usize);
        let cases_addr = self.addr(cases);
        self.word(rec + eo("cases"), cases_addr);
        for (i, c) in e.cases.iter().enumerate() {
            let at = cases + i * CASE_RECORD_SIZE as usize;
            self.str(at + co("name"), &c.name);
            self.put(at + co("tag"), &c.tag.to_ne_bytes());
            self.word(at + co("field_count"), c.fields.len());
            let fields = self.fields(&c.fields);
            self.word(at + co("fields"), fields);
        }
        self.addr(rec)
    }
    fn identity(&mut self, at: usize, id: &Identity) {
        let o = |f| offsets::of("rsl_type_identity", f);
        self.put(at + o("kind"), &id.kind_code().to_ne_bytes());
        self.str(at + o("name"), id.name());
        self.word(at + o("size"), id.size());
        self.word(at + o("align"), id.align());
        self.word(at + o("count"), id.count());
        if let Some(e) = id.element() {
            let rec = self.alloc(IDENTITY_SIZE);
            self.identity(rec, e);
            let addr = self.addr(rec);
            self.word(at + o("element"), addr);
        }
    }
}

/// Encodes `module` (which need not be valid: tests encode invalid layouts
/// too) as an image at `base`. Record sizes are those of version 1.
pub fn encode(module: &ModuleLayout, base: usize) -> Image {
    let mut w = Writer {
        base,
        bytes: vec![],
    };
    let m = |f| offsets::of("rsl_manifest", f);
    let header = w.alloc(MANIFEST_V1_SIZE as usize);
    w.put(header + m("magic"), &MAGIC);
    w.put(header + m("format_version"), &FORMAT_VERSION.to_ne_bytes());
    w.put(header + m("header_size"), &MANIFEST_V1_SIZE.to_ne_bytes());
    w.put(
        header + m("type_record_size"),
        &TYPE_RECORD_V1_SIZE.to_ne_bytes(),
    );
    w.put(
        header + m("field_record_size"),
        &FIELD_RECORD_V1_SIZE.to_ne_bytes(),
    );
    w.put(header + m("pointer_width"), &[NATIVE_POINTER_WIDTH]);
    w.put(header + m("endianness"), &[NATIVE_ENDIANNESS]);
    w.str(header + m("module_name"), &module.name);
    w.str(header + m("module_version"), &module.version);
    w.word(header + m("type_count"), module.types.len());
    let list = w.alloc(module.types.len() * WORD);
    let list_addr = w.addr(list);
    w.word(header + m("types"), list_addr);
    let t = |f| offsets::of("rsl_type_descriptor", f);
    let wo = |f| offsets::of("rsl_value_witnesses", f);
    for (i, ty) in module.types.iter().enumerate() {
        let rec = w.alloc(TYPE_RECORD_V1_SIZE as usize);
        let rec_addr = w.addr(rec);
        w.word(list + i * WORD, rec_addr);
        w.put(rec + t("flags"), &ty.flags.to_ne_bytes());
        w.str(rec + t("name"), &ty.name);
        w.word(rec + t("size"), ty.size);
        w.word(rec + t("align"), ty.align);
        w.word(rec + t("stride"), ty.stride);
        w.put(rec + t("fingerprint"), &ty.fingerprint.to_ne_bytes());
        w.word(rec + t("field_count"), ty.fields.len());
        let wit = rec + t("witnesses");
        w.word(wit + wo("drop"), ty.witnesses.drop);
        w.word(wit + wo("clone"), ty.witnesses.clone);
        w.word(wit + wo("default_init"), ty.witnesses.default_init);
        let fields_addr = w.fields(&ty.fields);
        w.word(rec + t("fields"), fields_addr);
        if let Some(e) = &ty.enum_info {
            let info = w.enum_record(e);
            w.word(rec + t("enum_info"), info);
        }
        let asize = crate::accessor::ACCESSOR_RECORD_SIZE;
        w.put(rec + t("accessor_record_size"), &asize.to_ne_bytes());
        w.word(rec + t("accessor_count"), ty.accessors.len());
        let ao = |f| offsets::of("rsl_accessor_descriptor", f);
        let list = w.alloc(ty.accessors.len() * asize as usize);
        let list_addr = w.addr(list);
        w.word(rec + t("accessors"), list_addr);
        for (j, a) in ty.accessors.iter().enumerate() {
            let at = list + j * asize as usize;
            w.str(at + ao("name"), &a.name);
            w.put(at + ao("shape"), &a.shape.to_ne_bytes());
            w.put(at + ao("flags"), &a.flags.to_ne_bytes());
            w.identity(at + ao("identity"), &a.identity);
            w.word(at + ao("get"), a.get);
            w.word(at + ao("set"), a.set);
        }
    }
    w.put(
        header + m("function_record_size"),
        &crate::function::FUNCTION_RECORD_SIZE.to_ne_bytes(),
    );
    w.put(
        header + m("param_record_size"),
        &crate::function::PARAM_RECORD_SIZE.to_ne_bytes(),
    );
    w.word(header + m("function_count"), module.functions.len());
    let list = w.alloc(module.functions.len() * WORD);
    let list_addr = w.addr(list);
    w.word(header + m("functions"), list_addr);
    let fo = |f| offsets::of("rsl_function_descriptor", f);
    let po = |f| offsets::of("rsl_param_descriptor", f);
    let fn_size = crate::function::FUNCTION_RECORD_SIZE as usize;
    let param_size = crate::function::PARAM_RECORD_SIZE as usize;
    let function = |w: &mut Writer, f: &crate::FunctionLayout| -> usize {
        let rec = w.alloc(fn_size);
        let rec_addr = w.addr(rec);
        w.str(rec + fo("name"), &f.name);
        w.put(rec + fo("abi"), &f.abi.to_ne_bytes());
        w.put(rec + fo("flags"), &f.flags.to_ne_bytes());
        w.word(rec + fo("param_count"), f.params.len());
        w.word(rec + fo("thunk"), f.thunk);
        let params = w.alloc(f.params.len() * param_size);
        let params_addr = w.addr(params);
        w.word(rec + fo("params"), params_addr);
        let param = |w: &mut Writer, at: usize, p: &crate::ParamLayout| {
            w.str(at + po("name"), &p.name);
            w.put(at + po("pass"), &p.pass.to_ne_bytes());
            w.identity(at + po("identity"), &p.identity);
        };
        for (j, p) in f.params.iter().enumerate() {
            param(w, params + j * param_size, p);
        }
        param(w, rec + fo("ret"), &f.ret);
        rec_addr
    };
    for (i, f) in module.functions.iter().enumerate() {
        let addr = function(&mut w, f);
        w.word(list + i * WORD, addr);
    }
    w.put(
        header + m("impl_record_size"),
        &crate::function::IMPL_RECORD_SIZE.to_ne_bytes(),
    );
    w.word(header + m("impl_count"), module.impls.len());
    let impl_list = w.alloc(module.impls.len() * WORD);
    let impl_list_addr = w.addr(impl_list);
    w.word(header + m("impls"), impl_list_addr);
    let io = |f| offsets::of("rsl_impl_descriptor", f);
    for (i, imp) in module.impls.iter().enumerate() {
        let rec = w.alloc(crate::function::IMPL_RECORD_SIZE as usize);
        let rec_addr = w.addr(rec);
        w.word(impl_list + i * WORD, rec_addr);
        w.str(rec + io("interface"), &imp.interface);
        w.str(rec + io("type_name"), &imp.type_name);
        w.word(rec + io("method_count"), imp.methods.len());
        let methods = w.alloc(imp.methods.len() * WORD);
        let methods_addr = w.addr(methods);
        w.word(rec + io("methods"), methods_addr);
        for (j, meth) in imp.methods.iter().enumerate() {
            let addr = function(&mut w, meth);
            w.word(methods + j * WORD, addr);
        }
    }
    Image {
        base,
        bytes: w.bytes,
    }
}
