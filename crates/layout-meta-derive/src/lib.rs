//! `#[derive(Resilient)]`: exports a type's layout metadata, every number
//! taken from the compiler. See the `layout-meta` crate for the format and a
//! tutorial; this crate only generates code.
//!
//! Container attributes, in `#[resilient(...)]`:
//! - `frozen`: the type promises never to change its layout (every field is
//!   then exported: a frozen type has no private layout);
//! - `clone`, `default`: export the `Clone` / `Default` impls as witnesses;
//! - `pod`: plain old data (`Copy + bytemuck::Zeroable`, checked at compile
//!   time): no drop, bitwise clone, zero is a value;
//! - `send`: values may move to another thread (`Send`, checked at compile
//!   time);
//! - `name = "..."`: the exported type name (default: the Rust name);
//! - `prefix = "..."`: prepended to every exported symbol name;
//! - `crate = "path"`: where `layout-meta` is, for crates that rename it.
//!
//! Field attributes: `skip` (do not export a public field), `export` (export
//! a private field), `opaque` (export a field whose type has no `FieldType`
//! impl by its written name, size and alignment; the type must be
//! `bytemuck::Pod`, since a name says nothing about which bit patterns are
//! values).
//!
//! Exported fields are the `pub` ones (any `pub(...)` too) unless skipped.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields, Ident, LitStr, Path, Visibility};

mod enums;
mod export;

/// Exports an ordinary Rust function across the boundary: its record and
/// its `extern "C"` thunk (see `layout_meta::function`). List it in
/// `export_module!`'s `functions: [...]`.
///
/// Options: `#[export(name = "...")]` (the exported name; default: the Rust
/// name), `#[export(crate = "path")]` (where `layout-meta` is).
#[proc_macro_attribute]
pub fn export(attr: TokenStream, item: TokenStream) -> TokenStream {
    export::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `layout_meta::Resilient` and exports the type's metadata symbols.
#[proc_macro_derive(Resilient, attributes(resilient))]
pub fn derive_resilient(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

#[derive(Default)]
struct Options {
    frozen: bool,
    /// Where `frozen` was written (for the fixed-`repr` refusal).
    frozen_span: Option<Span>,
    clone: bool,
    default: bool,
    pod: bool,
    send: bool,
    name: Option<String>,
    prefix: String,
    krate: Option<Path>,
    /// `computed(name: Type, get = path, set = path)`, in order.
    computed: Vec<Computed>,
}

/// A computed field: a name, its type, the library's getter and setter.
struct Computed {
    name: Ident,
    ty: syn::Type,
    get: syn::Expr,
    set: syn::Expr,
}

impl syn::parse::Parse for Computed {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let name: Ident = syn::ext::IdentExt::parse_any(input)?;
        input.parse::<syn::Token![:]>()?;
        let ty: syn::Type = input.parse()?;
        let mut get = None;
        let mut set = None;
        while input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            input.parse::<syn::Token![=]>()?;
            let value: syn::Expr = input.parse()?;
            if key == "get" {
                get = Some(value);
            } else if key == "set" {
                set = Some(value);
            } else {
                return Err(syn::Error::new_spanned(
                    key,
                    "expected `get = ...` or `set = ...`",
                ));
            }
        }
        let missing = |what: &str| {
            syn::Error::new_spanned(
                &name,
                format!("a computed field names its getter and setter: `computed({name}: Type, get = Self::{name}, set = Self::set_{name})`; `{what}` is missing"),
            )
        };
        Ok(Computed {
            get: get.ok_or_else(|| missing("get"))?,
            set: set.ok_or_else(|| missing("set"))?,
            name,
            ty,
        })
    }
}

fn container_options(input: &DeriveInput) -> syn::Result<Options> {
    let mut o = Options::default();
    for attr in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("resilient"))
    {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("frozen") {
                o.frozen = true;
                o.frozen_span = Some(syn::spanned::Spanned::span(p));
            } else if p.is_ident("clone") {
                o.clone = true;
            } else if p.is_ident("default") {
                o.default = true;
            } else if p.is_ident("pod") {
                o.pod = true;
            } else if p.is_ident("send") {
                o.send = true;
            } else if p.is_ident("name") {
                o.name = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if p.is_ident("prefix") {
                o.prefix = meta.value()?.parse::<LitStr>()?.value();
            } else if p.is_ident("crate") {
                o.krate = Some(meta.value()?.parse::<LitStr>()?.parse()?);
            } else if p.is_ident("computed") {
                let content;
                syn::parenthesized!(content in meta.input);
                o.computed.push(content.parse()?);
            } else {
                return Err(meta.error(
                    "unknown #[resilient] option; expected one of: frozen, clone, default, pod, send, name, prefix, crate, computed",
                ));
            }
            Ok(())
        })?;
    }
    Ok(o)
}

#[derive(Default)]
struct FieldOptions {
    skip: bool,
    export: bool,
    opaque: bool,
    accessor: bool,
}

fn field_options(attrs: &[syn::Attribute]) -> syn::Result<FieldOptions> {
    let mut o = FieldOptions::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("resilient")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                o.skip = true;
            } else if meta.path.is_ident("export") {
                o.export = true;
            } else if meta.path.is_ident("opaque") {
                o.opaque = true;
            } else if meta.path.is_ident("accessor") {
                o.accessor = true;
            } else {
                return Err(meta.error(
                    "unknown #[resilient] field option; expected one of: skip, export, opaque, accessor",
                ));
            }
            Ok(())
        })?;
    }
    Ok(o)
}

/// Whether the type has `#[repr(C)]` or `#[repr(transparent)]`: a layout
/// the language fixes, which a frozen type's promise needs.
fn fixed_repr(attrs: &[syn::Attribute]) -> bool {
    let mut fixed = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("repr")) {
        // Other `repr` options (`align`, `packed`) are read and ignored.
        let _ = attr.parse_nested_meta(|meta| {
            fixed |= meta.path.is_ident("C") || meta.path.is_ident("transparent");
            if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
            }
            Ok(())
        });
    }
    fixed
}

/// Whether `ty` is written as a type without a stable layout that is
/// exported through accessors: `String`, `Vec<T>`, `Box<str>`, `Box<[T]>`,
/// `Option<String>` (by the last path segment, so `std::string::String`
/// too; an alias needs `#[resilient(accessor)]`).
fn is_accessor_type(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else {
        return false;
    };
    if p.qself.is_some() {
        return false;
    }
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    let args: Vec<&syn::Type> = match &last.arguments {
        syn::PathArguments::None => Vec::new(),
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        syn::PathArguments::Parenthesized(_) => return false,
    };
    let is_string = |t: &syn::Type| {
        matches!(t, syn::Type::Path(q) if q.qself.is_none()
            && q.path.segments.last().is_some_and(|s| s.ident == "String" && s.arguments.is_none()))
    };
    match (last.ident.to_string().as_str(), args.as_slice()) {
        ("String", []) => true,
        ("Vec", [_]) => true,
        ("Box", [syn::Type::Slice(_)]) => true,
        ("Box", [t]) => matches!(t, syn::Type::Path(q) if q.path.is_ident("str")),
        ("Option", [t]) => is_string(t),
        _ => false,
    }
}

/// The written type, spaced canonically: a space only between two word
/// tokens (`Vec3`, `foo::Bar<u8>`, `&'a mut T`, `dyn A`), so that no two
/// different types print the same.
fn written_type(ty: &syn::Type) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '\'';
    let mut out = String::new();
    for token in quote!(#ty).to_string().split_whitespace() {
        if out.ends_with(word) && token.starts_with(word) {
            out.push(' ');
        }
        out.push_str(token);
    }
    out
}

/// The value witnesses and flags every exported type gets from its
/// container options: drop, clone (or a bitwise one for `pod`), default,
/// `send` and `frozen`.
struct Witnesses {
    /// The witness functions and compile-time checks (items).
    items: Vec<TokenStream2>,
    /// The flags expression.
    flags: TokenStream2,
    /// The `ValueWitnesses` expression.
    table: TokenStream2,
}

fn witnesses(o: &Options, ty: &Ident, krate: &Path) -> Witnesses {
    let core = quote!(#krate::__private::core);
    let mut flags = Vec::new();
    if o.frozen {
        flags.push(quote!(#krate::flags::FROZEN));
    }
    let mut witness_fns = Vec::new();
    if o.send {
        flags.push(quote!(#krate::flags::SEND));
        witness_fns.push(quote! {
            const _: () = #krate::__private::assert_send::<#ty>();
        });
    }
    let drop_w = quote! {
        if #core::mem::needs_drop::<#ty>() { ::core::option::Option::Some(__resilient_drop) } else { ::core::option::Option::None }
    };
    witness_fns.push(quote! {
        /// Drop witness: never unwinds (a panic aborts at the `extern "C"` boundary).
        unsafe extern "C" fn __resilient_drop(value: *mut u8) {
            // SAFETY: the caller passes a valid, initialised, aligned value of
            // this type that it will not use again (the witness contract).
            unsafe { #core::ptr::drop_in_place(value.cast::<#ty>()) }
        }
    });
    let clone_w = if o.pod {
        flags.push(quote!(#krate::flags::POD));
        witness_fns.push(quote! {
            const _: () = #krate::__private::assert_pod::<#ty>();
            /// Clone witness of a plain-old-data type: a bitwise copy.
            unsafe extern "C" fn __resilient_clone(dst: *mut u8, src: *const u8) {
                // SAFETY: the caller passes a valid value at `src` and writable,
                // aligned, non-overlapping room for one at `dst`; the type is
                // `Copy`, so a bitwise copy is a clone.
                unsafe { #core::ptr::copy_nonoverlapping(src.cast::<#ty>(), dst.cast::<#ty>(), 1) }
            }
        });
        quote!(::core::option::Option::Some(__resilient_clone))
    } else if o.clone {
        witness_fns.push(quote! {
            /// Clone witness: never unwinds (a panic aborts at the `extern "C"` boundary).
            unsafe extern "C" fn __resilient_clone(dst: *mut u8, src: *const u8) {
                // SAFETY: the caller passes a valid value at `src` and writable,
                // aligned room for one at `dst` (the witness contract).
                unsafe { dst.cast::<#ty>().write(<#ty as #core::clone::Clone>::clone(&*src.cast::<#ty>())) }
            }
        });
        quote!(::core::option::Option::Some(__resilient_clone))
    } else {
        quote!(::core::option::Option::None)
    };
    let default_w = if o.default {
        witness_fns.push(quote! {
            /// Default witness: never unwinds (a panic aborts at the `extern "C"` boundary).
            unsafe extern "C" fn __resilient_default(dst: *mut u8) {
                // SAFETY: the caller passes writable, aligned room for one value
                // at `dst` (the witness contract).
                unsafe { dst.cast::<#ty>().write(<#ty as #core::default::Default>::default()) }
            }
        });
        quote!(::core::option::Option::Some(__resilient_default))
    } else {
        quote!(::core::option::Option::None)
    };
    let flags = if flags.is_empty() {
        quote!(0)
    } else {
        quote!(#(#flags)|*)
    };

    Witnesses {
        items: witness_fns,
        flags,
        table: quote! {
            #krate::ValueWitnesses {
                drop: #drop_w,
                clone: #clone_w,
                default_init: #default_w,
            }
        },
    }
}

/// `Resilient` and `FieldType` for `ty`, described by `desc_sym`.
fn trait_impls(
    krate: &Path,
    ty: &Ident,
    type_name: &str,
    desc_sym: &Ident,
    nested: &[TokenStream2],
) -> TokenStream2 {
    quote! {
        #[automatically_derived]
        // SAFETY: every number in the descriptor comes from the compiler
        // (`size_of`, `align_of`, `offset_of!` on this type and its
        // fields' types), and the witnesses act on this type.
        unsafe impl #krate::Resilient for #ty {
            const DESCRIPTOR: &'static #krate::TypeDescriptor = &#desc_sym;
            const NESTED: &'static [::core::option::Option<&'static #krate::TypeDescriptor>] =
                &[#(#nested),*];
        }

        #[automatically_derived]
        // SAFETY: a resilient type is identified by its exported name;
        // clients reach it only through its own bound layout.
        unsafe impl #krate::FieldType for #ty {
            const IDENTITY: #krate::TypeIdentity = #krate::TypeIdentity::resilient::<#ty>(#type_name);
            const NESTED: ::core::option::Option<&'static #krate::TypeDescriptor> =
                ::core::option::Option::Some(&#desc_sym);
        }
    }
}

/// The `T_size` and `T_align` C symbols.
fn size_symbols(size_sym: &Ident, align_sym: &Ident, ty: &Ident, krate: &Path) -> TokenStream2 {
    let core = quote!(#krate::__private::core);
    quote! {
        #[no_mangle]
        #[allow(non_upper_case_globals, reason = "the documented C symbol name")]
        pub static #size_sym: usize = #core::mem::size_of::<#ty>();
        #[no_mangle]
        #[allow(non_upper_case_globals, reason = "the documented C symbol name")]
        pub static #align_sym: usize = #core::mem::align_of::<#ty>();
    }
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let o = container_options(input)?;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(Resilient)] needs a concrete type: exported metadata describes one layout",
        ));
    }
    let data = match &input.data {
        Data::Struct(data) => data,
        Data::Enum(data) => {
            if let Some(c) = o.computed.first() {
                return Err(syn::Error::new_spanned(
                    &c.name,
                    "an enum has no computed fields (its cases' payloads are stored)",
                ));
            }
            let krate = o
                .krate
                .clone()
                .unwrap_or_else(|| syn::parse_quote!(::layout_meta));
            let type_name = o
                .name
                .clone()
                .unwrap_or_else(|| syn::ext::IdentExt::unraw(&input.ident).to_string());
            let sym = |suffix: &str| {
                Ident::new(
                    &format!("{}{type_name}_{suffix}", o.prefix),
                    Span::call_site(),
                )
            };
            return enums::expand_enum(input, data, &o, &krate, &type_name, &sym);
        }
        Data::Union(_) => {
            return Err(syn::Error::new_spanned(
                &input.ident,
                "#[derive(Resilient)] supports structs and enums, not unions",
            ))
        }
    };
    if let (true, Some(span)) = (o.frozen, o.frozen_span) {
        if !fixed_repr(&input.attrs) {
            return Err(syn::Error::new(
                span,
                "a frozen type needs a fixed layout: add `#[repr(C)]` (Rust's default representation may order fields differently under another compiler version or `-Zrandomize-layout`, which would break the promise `frozen` makes to hosts)",
            ));
        }
    }

    let krate = o
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::layout_meta));
    let ty = &input.ident;
    // A raw identifier (`r#Match`) is exported by its name (`Match`).
    let type_name = o
        .name
        .clone()
        .unwrap_or_else(|| syn::ext::IdentExt::unraw(ty).to_string());
    let sym = |suffix: &str| {
        Ident::new(
            &format!("{}{type_name}_{suffix}", o.prefix),
            Span::call_site(),
        )
    };
    let size_sym = sym("size");
    let align_sym = sym("align");
    let desc_sym = sym("descriptor");

    let mut field_descs = Vec::new();
    let mut offset_statics = Vec::new();
    let mut witness_free_checks = Vec::new();
    let mut nested = Vec::new();
    let mut accessor_fns = Vec::new();
    let mut accessor_descs = Vec::new();
    // The exported fields' names (stored and accessor): a computed field's
    // must differ (a name is one field; a loader refuses a type that
    // repeats one, so the library would load nowhere).
    let mut exported_names: Vec<String> = Vec::new();
    let members: Vec<(syn::Member, &syn::Field)> = match &data.fields {
        Fields::Named(f) => f
            .named
            .iter()
            .filter_map(|f| f.ident.clone().map(|i| (syn::Member::Named(i), f)))
            .collect(),
        Fields::Unnamed(f) => f
            .unnamed
            .iter()
            .enumerate()
            .map(|(i, f)| (syn::Member::Unnamed(syn::Index::from(i)), f))
            .collect(),
        Fields::Unit => Vec::new(),
    };
    for (member, field) in &members {
        let fo = field_options(&field.attrs)?;
        let public = !matches!(field.vis, Visibility::Inherited);
        if o.frozen && (fo.skip || !(public || fo.export)) {
            // Consumers of a frozen type compile its whole layout in, so a
            // change to a field they cannot see would still break them: a
            // frozen type has no unexported fields, and every change shows in
            // its fingerprint.
            return Err(syn::Error::new_spanned(
                field,
                "a frozen type exports every field (its whole layout is the promise): make this field pub or mark it #[resilient(export)]",
            ));
        }
        if fo.skip || !(public || fo.export) {
            continue;
        }
        let fname = match member {
            syn::Member::Named(i) => syn::ext::IdentExt::unraw(i).to_string(),
            syn::Member::Unnamed(i) => i.index.to_string(),
        };
        let fty = &field.ty;
        exported_names.push(fname.clone());
        if fo.accessor || (!fo.opaque && is_accessor_type(fty)) {
            if o.frozen {
                return Err(syn::Error::new_spanned(
                    field,
                    "a frozen type has only stored fields: a `String` or `Vec` has no stable layout (export it from a type that is not frozen)",
                ));
            }
            let get = Ident::new(&format!("__resilient_get_{fname}"), Span::call_site());
            let set = Ident::new(&format!("__resilient_set_{fname}"), Span::call_site());
            accessor_fns.push(quote! {
                /// Accessor getter: never unwinds.
                unsafe extern "C" fn #get(value: *const u8) -> #krate::function::RawSlice {
                    // SAFETY: the caller passes a live value of this type
                    // (the accessor contract).
                    unsafe { #krate::accessor::borrow_of::<#ty, #fty>(value, |v| &v.#member) }
                }
                /// Accessor setter: never unwinds.
                unsafe extern "C" fn #set(value: *mut u8, ptr: *const u8, len: usize) {
                    // SAFETY: the caller passes a live value of this type that
                    // nothing else accesses, and `len` valid elements at `ptr`
                    // (the accessor contract).
                    unsafe { #krate::accessor::replace_of::<#ty, #fty>(value, ptr, len, |v| &mut v.#member) }
                }
            });
            accessor_descs
                .push(quote!(#krate::AccessorDescriptor::field::<#fty>(#fname, #get, #set)));
            // Elements of an exported type are read and cloned as the
            // module's type of that name: `export_module!` checks it is
            // this one, as for a nested field.
            nested.push(quote!(<#fty as #krate::accessor::AccessorType>::NESTED));
            continue;
        }
        let identity = if fo.opaque {
            let n = written_type(fty);
            // An identity by name alone is a promise about every bit
            // pattern a client may read or write: only for `Pod` types.
            witness_free_checks.push(quote! {
                const _: () = #krate::__private::assert_opaque_field::<#fty>();
            });
            nested.push(quote!(::core::option::Option::None));
            quote!(#krate::TypeIdentity::opaque::<#fty>(#n))
        } else {
            nested.push(quote!(<#fty as #krate::FieldType>::NESTED));
            quote!(<#fty as #krate::FieldType>::IDENTITY)
        };
        let offset = quote!(#krate::__private::core::mem::offset_of!(#ty, #member));
        field_descs.push(quote!(#krate::FieldDescriptor::new(#fname, #offset, #identity)));
        let off_sym = sym(&format!("{fname}_offset"));
        offset_statics.push(quote! {
            #[no_mangle]
            pub static #off_sym: usize = #offset;
        });
    }

    // In an `impl` of the type, so that the getter and setter paths may
    // name `Self`.
    let mut computed_fns = Vec::new();
    for c in &o.computed {
        if o.frozen {
            return Err(syn::Error::new_spanned(
                &c.name,
                "a frozen type has only stored fields: its layout is the promise",
            ));
        }
        let fname = syn::ext::IdentExt::unraw(&c.name).to_string();
        if exported_names.contains(&fname) {
            return Err(syn::Error::new_spanned(
                &c.name,
                format!("`{fname}` is exported twice: a computed field's name differs from every exported field's and every other computed field's (a loader refuses a type that repeats a name)"),
            ));
        }
        exported_names.push(fname.clone());
        let (vty, getter, setter) = (&c.ty, &c.get, &c.set);
        let get = Ident::new(&format!("__resilient_cget_{fname}"), Span::call_site());
        let set = Ident::new(&format!("__resilient_cset_{fname}"), Span::call_site());
        accessor_fns.push(quote! {
            const _: () = ::core::assert!(
                <#vty as #krate::FieldType>::NESTED.is_none(),
                "a computed field holds a plain value (a scalar, an array, an opaque type), not a resilient type"
            );
        });
        computed_fns.push(quote! {
            /// Computed-field getter: never unwinds (a panic aborts).
            #[doc(hidden)]
            unsafe extern "C" fn #get(value: *const u8, out: *mut u8) {
                // SAFETY: the caller passes a live value of this type and room
                // for one field value (the accessor contract).
                unsafe { #krate::accessor::get_computed::<#ty, #vty>(value, out, #getter) }
            }
            /// Computed-field setter: never unwinds (a panic aborts).
            #[doc(hidden)]
            unsafe extern "C" fn #set(value: *mut u8, src: *const u8) {
                // SAFETY: the caller passes a live value of this type that
                // nothing else accesses, and a valid field value at `src`.
                unsafe { #krate::accessor::set_computed::<#ty, #vty>(value, src, #setter) }
            }
        });
        accessor_descs.push(quote!(#krate::AccessorDescriptor::computed(
            #fname,
            <#vty as #krate::FieldType>::IDENTITY,
            <#ty>::#get,
            <#ty>::#set,
        )));
    }

    let n_accessors = accessor_descs.len();
    let computed_impl = if computed_fns.is_empty() {
        quote!()
    } else {
        quote! {
            #[automatically_derived]
            impl #ty {
                #(#computed_fns)*
            }
        }
    };
    let Witnesses {
        items: witness_fns,
        flags,
        table,
    } = witnesses(&o, ty, &krate);
    let sizes = size_symbols(&size_sym, &align_sym, ty, &krate);
    let impls = trait_impls(&krate, ty, &type_name, &desc_sym, &nested);
    Ok(quote! {
        const _: () = {
            #(#witness_fns)*
            #(#witness_free_checks)*
            #(#accessor_fns)*
            #computed_impl
            static __RESILIENT_ACCESSORS: [#krate::AccessorDescriptor; #n_accessors] = [#(#accessor_descs),*];

            #sizes
            #(
                #[allow(non_upper_case_globals, reason = "the documented C symbol name")]
                #offset_statics
            )*
            #[no_mangle]
            #[allow(non_upper_case_globals, reason = "the documented C symbol name")]
            pub static #desc_sym: #krate::TypeDescriptor = #krate::TypeDescriptor::new::<#ty>(
                #type_name,
                #flags,
                &[#(#field_descs),*],
                #table,
            ).with_accessors(&__RESILIENT_ACCESSORS);

            #impls
        };
    })
}
