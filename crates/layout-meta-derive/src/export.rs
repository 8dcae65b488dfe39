//! `#[export]`: an ordinary Rust function exported across the boundary.
//!
//! Generates, beside the function (unchanged), a unit struct of the same
//! name in the type namespace that implements `layout_meta::ExportedFn`
//! (what `export_module!`'s `functions: [...]` lists), the function's record
//! and its `extern "C"` thunk (`layout_meta::function` documents the calling
//! convention): the thunk raises each lowered parameter, calls the function
//! inside `catch_unwind`, and writes the result, the error or the panic's
//! message. Nothing unwinds across.

use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ItemFn, ItemImpl, LitStr, Pat, Path, ReturnType, Signature, Type};

/// Options of `#[export(...)]`.
#[derive(Default)]
struct Options {
    name: Option<String>,
    interface: Option<String>,
    krate: Option<Path>,
}

fn options(attr: TokenStream2) -> syn::Result<Options> {
    let mut o = Options::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            o.name = Some(meta.value()?.parse::<LitStr>()?.value());
        } else if meta.path.is_ident("interface") {
            o.interface = Some(meta.value()?.parse::<LitStr>()?.value());
        } else if meta.path.is_ident("crate") {
            o.krate = Some(meta.value()?.parse::<LitStr>()?.parse()?);
        } else {
            return Err(
                meta.error("unknown #[export] option; expected `name`, `interface` or `crate`")
            );
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, attr)?;
    Ok(o)
}

/// `ty` with every lifetime made `'static`: the thunk names the lowered
/// form of a parameter type through its `Param` impl, which does not depend
/// on the lifetime. Refuses a `'static` the function itself asks for: the
/// host's values live for the call only.
fn erase_lifetimes(ty: &Type) -> syn::Result<Type> {
    struct Eraser(Option<syn::Error>);
    impl Eraser {
        fn ty(&mut self, ty: &mut Type) {
            match ty {
                Type::Reference(r) => {
                    if let Some(l) = &r.lifetime {
                        if l.ident == "static" && self.0.is_none() {
                            self.0 = Some(syn::Error::new(
                                l.span(),
                                "an exported function cannot keep a borrowed parameter: the host's values live for the call only",
                            ));
                        }
                    }
                    r.lifetime = Some(syn::Lifetime::new("'static", Span::call_site()));
                    self.ty(&mut r.elem);
                }
                Type::Slice(s) => self.ty(&mut s.elem),
                Type::Array(a) => self.ty(&mut a.elem),
                Type::Paren(p) => self.ty(&mut p.elem),
                Type::Group(g) => self.ty(&mut g.elem),
                Type::Tuple(t) => t.elems.iter_mut().for_each(|e| self.ty(e)),
                Type::Path(p) => {
                    for seg in &mut p.path.segments {
                        if let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments {
                            for arg in &mut args.args {
                                match arg {
                                    syn::GenericArgument::Type(t) => self.ty(t),
                                    syn::GenericArgument::Lifetime(l) => {
                                        *l = syn::Lifetime::new("'static", Span::call_site());
                                    }
                                    _ => {}
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut ty = ty.clone();
    let mut e = Eraser(None);
    e.ty(&mut ty);
    match e.0 {
        Some(err) => Err(err),
        None => Ok(ty),
    }
}

pub(crate) fn expand(attr: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let o = options(attr)?;
    let krate = o
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::layout_meta));
    if let Ok(imp) = syn::parse2::<ItemImpl>(item.clone()) {
        return expand_impl(&o, &krate, imp);
    }
    let f: ItemFn = syn::parse2(item)?;
    let ident = &f.sig.ident;
    let vis = &f.vis;
    let name = o
        .name
        .clone()
        .unwrap_or_else(|| syn::ext::IdentExt::unraw(ident).to_string());
    let Generated {
        thunk,
        descriptor,
        referents,
    } = generate(&krate, &f.sig, &name, &quote!(#ident), None)?;
    Ok(quote! {
        #f

        #[doc(hidden)]
        #[allow(non_camel_case_types, reason = "named after the exported function")]
        #vis struct #ident {}

        const _: () = {
            #thunk

            #[automatically_derived]
            // SAFETY: the thunk's signature is the lowered form of each
            // parameter's and the result's `Param`/`Return` impl, as the
            // record lists them; it catches every panic.
            unsafe impl #krate::ExportedFn for #ident {
                const DESCRIPTOR: &'static #krate::function::FunctionDescriptor = &#descriptor;
                const REFERENTS: &'static [::core::option::Option<&'static #krate::TypeDescriptor>] =
                    #referents;
            }
        };
    })
}

/// `#[export] impl Trait for Type { ... }`: the trait's methods exported as
/// an interface implementation (a method table of function records, the
/// receiver first).
fn expand_impl(o: &Options, krate: &Path, imp: ItemImpl) -> syn::Result<TokenStream2> {
    let Some((_, trait_path, _)) = &imp.trait_ else {
        return Err(syn::Error::new(
            imp.self_ty.span(),
            "#[export] on an impl block exports a trait implementation: `impl Trait for Type`",
        ));
    };
    if !imp.generics.params.is_empty() {
        return Err(syn::Error::new(
            imp.generics.span(),
            "an exported implementation cannot be generic",
        ));
    }
    let self_ty = &imp.self_ty;
    let interface = match &o.interface {
        Some(i) => i.clone(),
        None => trait_path
            .segments
            .last()
            .map(|s| syn::ext::IdentExt::unraw(&s.ident).to_string())
            .unwrap_or_default(),
    };
    let mut thunks = Vec::new();
    let mut descriptors = Vec::new();
    let mut referents = Vec::new();
    for item in &imp.items {
        let ImplItem::Fn(m) = item else { continue };
        let name = syn::ext::IdentExt::unraw(&m.sig.ident).to_string();
        let ident = &m.sig.ident;
        let g = generate(
            krate,
            &m.sig,
            &name,
            &quote!(<#self_ty as #trait_path>::#ident),
            Some(self_ty),
        )?;
        thunks.push(g.thunk);
        descriptors.push(g.descriptor);
        referents.push(g.referents);
    }
    Ok(quote! {
        #imp

        const _: () = {
            #(#thunks)*

            #[automatically_derived]
            // SAFETY: each method's thunk has the lowered signature its
            // record lists, the receiver first; each catches every panic.
            unsafe impl #krate::ExportedImpl<{ #krate::name_hash(#interface) }> for #self_ty {
                const DESCRIPTOR: &'static #krate::function::ImplDescriptor =
                    &#krate::function::ImplDescriptor::new(
                        #interface,
                        <#self_ty as #krate::FieldType>::IDENTITY.name(),
                        &[#(&#descriptors),*],
                    );
                const REFERENTS: &'static [&'static [::core::option::Option<&'static #krate::TypeDescriptor>]] =
                    &[#(#referents),*];
            }
        };
    })
}

/// The thunk (an item) and the record (an expression) of a function or a
/// method with signature `sig`, called as `callee`; `receiver` is the
/// implementing type of a method.
fn generate(
    krate: &Path,
    sig: &Signature,
    name: &str,
    callee: &TokenStream2,
    receiver: Option<&Type>,
) -> syn::Result<Generated> {
    let refuse = |span: Span, what: &str| Err(syn::Error::new(span, what));
    if sig.asyncness.is_some() {
        return refuse(sig.asyncness.span(), "an exported function cannot be async");
    }
    if sig.unsafety.is_some() {
        return refuse(
            sig.unsafety.span(),
            "an exported function cannot be `unsafe`: hosts call it through a safe, checked call",
        );
    }
    if name.is_empty() || name.chars().any(char::is_control) {
        return refuse(
            sig.ident.span(),
            "an exported name is not empty and has no control characters",
        );
    }
    if sig.variadic.is_some() {
        return refuse(
            sig.variadic.span(),
            "an exported function cannot be variadic",
        );
    }
    if sig
        .generics
        .params
        .iter()
        .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
    {
        return refuse(
            sig.generics.span(),
            "an exported function cannot be generic (a library exports one instance of it)",
        );
    }
    if let Some(abi) = &sig.abi {
        return refuse(
            abi.span(),
            "write an ordinary Rust function: #[export] generates its extern \"C\" thunk",
        );
    }
    let mut lowered = Vec::new();
    let mut raised = Vec::new();
    let mut params = Vec::new();
    let mut ffi_params = Vec::new();
    let mut referents = Vec::new();
    for (i, arg) in sig.inputs.iter().enumerate() {
        let (pname, ty): (String, Type) = match arg {
            FnArg::Receiver(r) => {
                let Some(self_ty) = receiver else {
                    return refuse(
                        arg.span(),
                        "an exported function has no `self`: export a method through an interface (`#[export] impl Trait for Type`)",
                    );
                };
                if r.reference.is_none() {
                    return refuse(
                        arg.span(),
                        "an exported method takes `&self` or `&mut self` (the host keeps its values)",
                    );
                }
                let ty: Type = if r.mutability.is_some() {
                    syn::parse_quote!(&mut #self_ty)
                } else {
                    syn::parse_quote!(&#self_ty)
                };
                ("self".to_owned(), ty)
            }
            FnArg::Typed(pt) => {
                let pname = match &*pt.pat {
                    Pat::Ident(p) => syn::ext::IdentExt::unraw(&p.ident).to_string(),
                    _ => format!("arg{i}"),
                };
                // The written type, lifetimes left to inference (named ones
                // are not in scope in the thunk): a `'static` the function
                // asks for, even through an alias, then does not compile.
                (pname, (*pt.ty).clone())
            }
        };
        let erased = erase_lifetimes(&ty)?;
        let written = infer_lifetimes(&ty);
        let p = format_ident!("__p{i}");
        lowered.push(quote!(#p: <#erased as #krate::Param<'static>>::Ffi));
        ffi_params.push(quote!(<#erased as #krate::Param<'static>>::Ffi));
        raised.push(quote! {
            // SAFETY: the client bound this signature, so it passes what
            // `Param::from_ffi` requires (a live value for a reference,
            // `len` live elements for a slice), for this call.
            unsafe { <#written as #krate::Param<'_>>::from_ffi(#p, &__call) }
        });
        params.push(quote! {
            #krate::function::ParamDescriptor::new(
                #pname,
                <#erased as #krate::Param<'static>>::PASS,
                <#erased as #krate::Param<'static>>::IDENTITY,
            )
        });
        referents.push(quote!(<#erased as #krate::Param<'static>>::REFERENT));
    }
    if receiver.is_some() && !matches!(sig.inputs.first(), Some(FnArg::Receiver(_))) {
        return refuse(
            sig.ident.span(),
            "an exported method takes `&self` or `&mut self` first",
        );
    }
    let ret: Type = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => erase_lifetimes(ty)?,
    };
    let thunk = format_ident!("__resilient_thunk_{}", sig.ident);
    let thunk_item = quote! {
        /// The thunk (`layout_meta::function`'s calling convention).
        ///
        /// # Safety
        ///
        /// The caller passes what the function's record says, `ret` is
        /// room for the result (unused for a scalar) and `err` is writable.
        unsafe extern "C" fn #thunk(
            #(#lowered,)*
            __ret: *mut <#ret as #krate::Return>::Ffi,
            __err: *mut #krate::function::CallError,
        ) -> <#ret as #krate::Return>::Reg {
            // The function is called outside any `unsafe` block: only the
            // raising of each parameter is.
            let __f = move || {
                let __call = ();
                #callee(#(#raised),*)
            };
            // SAFETY: `__ret` and `__err` as the caller promises.
            unsafe { #krate::function::__private::call::<#ret>(#name, __ret, __err, __f) }
        }
    };
    let descriptor = quote! {
        #krate::function::FunctionDescriptor::new(
            #name,
            <#ret as #krate::Return>::FLAGS,
            &[#(#params),*],
            #krate::function::ParamDescriptor::new(
                "return",
                <#ret as #krate::Return>::PASS,
                <#ret as #krate::Return>::IDENTITY,
            ),
            // SAFETY: a function pointer as an opaque code address; clients
            // call it only through the signature the record gives, once
            // checked.
            unsafe {
                ::core::mem::transmute::<
                    unsafe extern "C" fn(
                        #(#ffi_params,)*
                        *mut <#ret as #krate::Return>::Ffi,
                        *mut #krate::function::CallError,
                    ) -> <#ret as #krate::Return>::Reg,
                    #krate::function::ThunkFn,
                >(#thunk)
            },
        )
    };
    referents.push(quote!(<#ret as #krate::Return>::REFERENT));
    let referents = quote!(&[#(#referents),*]);
    Ok(Generated {
        thunk: thunk_item,
        descriptor,
        referents,
    })
}

/// What [`generate`] makes for one function or method.
struct Generated {
    /// The thunk, an item.
    thunk: TokenStream2,
    /// The record, an expression.
    descriptor: TokenStream2,
    /// The exported types its references point to, a slice expression of
    /// `Option<&TypeDescriptor>` (what `export_module!` checks).
    referents: TokenStream2,
}

/// `ty` with every lifetime left to inference (`'_`), but `'static` kept:
/// how the thunk names a parameter's written type.
fn infer_lifetimes(ty: &Type) -> Type {
    fn walk(ty: &mut Type) {
        match ty {
            Type::Reference(r) => {
                if r.lifetime.as_ref().is_some_and(|l| l.ident != "static") {
                    r.lifetime = None;
                }
                walk(&mut r.elem);
            }
            Type::Slice(s) => walk(&mut s.elem),
            Type::Array(a) => walk(&mut a.elem),
            Type::Paren(p) => walk(&mut p.elem),
            Type::Group(g) => walk(&mut g.elem),
            Type::Tuple(t) => t.elems.iter_mut().for_each(walk),
            Type::Path(p) => {
                for seg in &mut p.path.segments {
                    if let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments {
                        for arg in &mut args.args {
                            match arg {
                                syn::GenericArgument::Type(t) => walk(t),
                                syn::GenericArgument::Lifetime(l) if l.ident != "static" => {
                                    *l = syn::Lifetime::new("'_", Span::call_site());
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut ty = ty.clone();
    walk(&mut ty);
    ty
}
