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
            } else {
                return Err(meta.error(
                    "unknown #[resilient] option; expected one of: frozen, clone, default, pod, send, name, prefix, crate",
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
            } else {
                return Err(meta.error(
                    "unknown #[resilient] field option; expected one of: skip, export, opaque",
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
            );

            #impls
        };
    })
}
