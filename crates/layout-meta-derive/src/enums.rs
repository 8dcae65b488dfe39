//! `#[derive(Resilient)]` on enums: the cases by name in declaration
//! order, each with its payload fields; the tag and payload offsets as
//! plain data where the language fixes them (a primitive `repr`); and the
//! witnesses that read a value's case, reach a payload field and write a
//! case, for any `repr` (niche-optimised layouts included: the library's
//! own code reads and writes them).

use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::{DataEnum, DeriveInput, Fields, Ident, Path};

use crate::{
    field_options, size_symbols, trait_impls, witnesses, written_type, Options, Witnesses,
};

/// The primitive `repr` of an enum, if it has exactly one and no `C`:
/// then its layout is the language's (RFC 2195): a union of `repr(C)`
/// structs, each the tag followed by a case's fields.
fn primitive_repr(input: &DeriveInput) -> Option<Ident> {
    let mut int = None;
    let mut c = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("C") {
                c = true;
            }
            for t in [
                "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize",
            ] {
                if meta.path.is_ident(t) {
                    int = Some(Ident::new(t, Span::call_site()));
                }
            }
            if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
            }
            Ok(())
        });
    }
    if c {
        None
    } else {
        int
    }
}

/// The unsigned type of the same size as `int` (how a tag's bits read).
fn unsigned(int: &Ident) -> Ident {
    let s = int.to_string();
    let u = match s.as_str() {
        "i8" => "u8",
        "i16" => "u16",
        "i32" => "u32",
        "i64" => "u64",
        "isize" => "usize",
        other => other,
    };
    Ident::new(u, int.span())
}

pub(crate) fn expand_enum(
    input: &DeriveInput,
    data: &DataEnum,
    o: &Options,
    krate: &Path,
    type_name: &str,
    sym: &dyn Fn(&str) -> Ident,
) -> syn::Result<TokenStream2> {
    let ty = &input.ident;
    if o.pod {
        return Err(syn::Error::new_spanned(
            ty,
            "an enum is not plain old data (all-zero bytes need not be a case): drop `pod`",
        ));
    }
    let repr = primitive_repr(input);
    if o.frozen && repr.is_none() {
        return Err(syn::Error::new_spanned(
            ty,
            "a frozen enum needs a fixed layout: add a primitive `#[repr(u8)]` (or u16, u32, ...): Rust's default representation may change under another compiler",
        ));
    }
    if data.variants.len() > 4096 {
        return Err(syn::Error::new_spanned(
            ty,
            "an enum exports at most 4,096 cases",
        ));
    }
    let core = quote!(#krate::__private::core);
    let plain = repr.is_some();
    let mut items = Vec::new();
    let mut cases = Vec::new();
    let mut nested = Vec::new();
    let mut case_of_arms = Vec::new();
    let mut locate_arms = Vec::new();
    let mut write_arms = Vec::new();
    let mut previous_tag: Option<Ident> = None;
    for (ci, v) in data.variants.iter().enumerate() {
        let case_index = u32::try_from(ci).unwrap_or(u32::MAX);
        let vname = &v.ident;
        let case_name = syn::ext::IdentExt::unraw(vname).to_string();
        // The case's tag: its discriminant's bits, for a primitive repr.
        let tag = match &repr {
            Some(int) => {
                let tag_const = format_ident!("__RESILIENT_TAG_{}", ci);
                let value = match (&v.discriminant, &previous_tag) {
                    (Some((_, e)), _) => quote!(#e),
                    (None, Some(p)) => quote!(#p.wrapping_add(1)),
                    (None, None) => quote!(0),
                };
                items.push(quote! {
                    #[allow(non_upper_case_globals, reason = "generated")]
                    const #tag_const: #int = #value;
                });
                previous_tag = Some(tag_const.clone());
                let u = unsigned(int);
                quote!((#tag_const as #u) as u64)
            }
            None => quote!(0),
        };
        // (pattern member, exported name, type) of each payload field.
        let members: Vec<(TokenStream2, String, &syn::Type, &syn::Field)> = match &v.fields {
            Fields::Named(f) => f
                .named
                .iter()
                .filter_map(|f| {
                    f.ident.as_ref().map(|i| {
                        (
                            quote!(#i),
                            syn::ext::IdentExt::unraw(i).to_string(),
                            &f.ty,
                            f,
                        )
                    })
                })
                .collect(),
            Fields::Unnamed(f) => f
                .unnamed
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let index = syn::Index::from(i);
                    (quote!(#index), i.to_string(), &f.ty, f)
                })
                .collect(),
            Fields::Unit => Vec::new(),
        };
        let mirror = format_ident!("__ResilientMirror{}", ci);
        if let (Some(int), false) = (&repr, members.is_empty()) {
            // The case as the language lays it out: its tag, then its
            // fields, `repr(C)`.
            let tys = members.iter().map(|m| m.2);
            items.push(quote! {
                #[repr(C)]
                #[allow(dead_code, reason = "a layout, never built")]
                struct #mirror(#int, #(#tys),*);
            });
        }
        let mut fields = Vec::new();
        for (fi, (member, fname, fty, field)) in members.iter().enumerate() {
            let fo = field_options(&field.attrs)?;
            if fo.skip || fo.export {
                return Err(syn::Error::new_spanned(
                    field,
                    "every payload field of a case is exported: `skip` and `export` do not apply",
                ));
            }
            let identity = if fo.opaque {
                let n = written_type(fty);
                items.push(quote! {
                    const _: () = #krate::__private::assert_opaque_field::<#fty>();
                });
                nested.push(quote!(::core::option::Option::None));
                quote!(#krate::TypeIdentity::opaque::<#fty>(#n))
            } else {
                nested.push(quote!(<#fty as #krate::FieldType>::NESTED));
                quote!(<#fty as #krate::FieldType>::IDENTITY)
            };
            let offset = if plain {
                let pos = syn::Index::from(fi + 1);
                quote!(#core::mem::offset_of!(#mirror, #pos))
            } else {
                quote!(0)
            };
            fields.push(quote!(#krate::FieldDescriptor::new(#fname, #offset, #identity)));
            let field_index = u32::try_from(fi).unwrap_or(u32::MAX);
            let binding = format_ident!("__f{}", fi);
            locate_arms.push(quote! {
                (#ty::#vname { #member: #binding, .. }, #case_index, #field_index) => {
                    #core::ptr::from_ref(#binding).cast::<u8>()
                }
            });
        }
        cases.push(quote!(#krate::CaseDescriptor::new(#case_name, #tag, &[#(#fields),*])));
        case_of_arms.push(quote!(#ty::#vname { .. } => #case_index,));
        let reads = members.iter().enumerate().map(|(fi, (member, _, fty, _))| {
            quote! {
                // SAFETY: the caller passes, for each payload field, a
                // pointer to a live, aligned value of its type, which this
                // moves out of (the `write_case` contract).
                #member: unsafe { payload.add(#fi).read().cast::<#fty>().read() }
            }
        });
        write_arms.push(quote!(#case_index => #ty::#vname { #(#reads),* },));
    }
    let Witnesses {
        items: witness_fns,
        flags,
        table,
    } = witnesses(o, ty, krate);
    let tag = match &repr {
        Some(int) => {
            quote!(::core::option::Option::Some((0, #core::mem::size_of::<#int>() as u32)))
        }
        None => quote!(::core::option::Option::None),
    };
    let locate = if plain {
        quote!(::core::option::Option::None)
    } else {
        quote!(::core::option::Option::Some(__resilient_locate))
    };
    let locate_fn = (!plain).then(|| {
        quote! {
            /// Locate witness: the address of a payload field of a value in
            /// that case (null for a case or field out of range).
            unsafe extern "C" fn __resilient_locate(value: *const u8, case: u32, field: u32) -> *const u8 {
                // SAFETY: the caller passes a live value of this type.
                let value = unsafe { &*value.cast::<#ty>() };
                #[allow(unreachable_patterns, reason = "an enum without payloads")]
                match (value, case, field) {
                    #(#locate_arms)*
                    _ => #core::ptr::null(),
                }
            }
        }
    });
    let (size_sym, align_sym, desc_sym) = (sym("size"), sym("align"), sym("descriptor"));
    let sizes = size_symbols(&size_sym, &align_sym, ty, krate);
    let impls = trait_impls(krate, ty, type_name, &desc_sym, &nested);
    Ok(quote! {
        const _: () = {
            #(#witness_fns)*
            #(#items)*

            /// Case-of witness: the index of a value's case.
            unsafe extern "C" fn __resilient_case_of(value: *const u8) -> u32 {
                // SAFETY: the caller passes a live value of this type.
                match unsafe { &*value.cast::<#ty>() } {
                    #(#case_of_arms)*
                }
            }

            #locate_fn

            /// Write-case witness: a value of case `case` from its payload
            /// fields, moved from `payload` (1 for a case out of range).
            unsafe extern "C" fn __resilient_write_case(
                dst: *mut u8,
                case: u32,
                payload: *const *const u8,
            ) -> u32 {
                let _ = payload;
                let value = match case {
                    #(#write_arms)*
                    _ => return 1,
                };
                // SAFETY: the caller passes writable, aligned room for one
                // value at `dst`.
                unsafe { dst.cast::<#ty>().write(value) };
                0
            }

            #sizes
            #[no_mangle]
            #[allow(non_upper_case_globals, reason = "the documented C symbol name")]
            pub static #desc_sym: #krate::TypeDescriptor = #krate::TypeDescriptor::new_enum::<#ty>(
                #type_name,
                #flags,
                &#krate::EnumDescriptor::new(
                    #tag,
                    #plain,
                    &[#(#cases),*],
                    __resilient_case_of,
                    #locate,
                    ::core::option::Option::Some(__resilient_write_case),
                ),
                #table,
            );

            #impls
        };
    })
}
