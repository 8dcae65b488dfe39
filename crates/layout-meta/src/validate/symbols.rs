//! The C symbols beside the descriptors: `<P><Type>_size`, `<P><Type>_align`
//! and `<P><Type>_<field>_offset`, which C readers use without reading a
//! descriptor, must say what the descriptor says (`docs/FORMAT.md`,
//! "Symbols"). `P` is the type's symbol prefix, learnt from the name of the
//! symbol its descriptor is exported under, `<P><Type>_descriptor`.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;

use super::{Error, Memory, Result};
use crate::layout::{ModuleLayout, TypeLayout};

/// A library's exported symbols, as the dynamic loader resolves them (the
/// loader asks `dladdr`/`dlsym`; the offline reader, the file's dynamic
/// symbol table).
pub trait SymbolTable {
    /// The name of an exported symbol defined exactly at `addr`, if any.
    fn name_at(&self, addr: usize) -> Option<String>;
    /// The address of the exported symbol `name` of this library, if any.
    fn address_of(&self, name: &str) -> Option<usize>;
}

/// Checks that every type of `module` (validated, read from the manifest at
/// `manifest_addr` in `mem`) is exported under `<P><Type>_descriptor`, and
/// that `<P><Type>_size`, `<P><Type>_align` and `<P><Type>_<field>_offset`
/// exist, lie in the image and hold what the descriptor holds.
///
/// # Errors
///
/// [`Error::CSymbol`], naming the type and symbol; what [`super::decode`]
/// finds if the manifest cannot be read.
pub fn verify_c_symbols<M: Memory + ?Sized>(
    mem: &M,
    syms: &dyn SymbolTable,
    manifest_addr: usize,
    module: &ModuleLayout,
) -> Result<()> {
    let addrs = super::type_record_addresses(mem, manifest_addr)?;
    for (t, &addr) in module.types.iter().zip(&addrs) {
        verify_type_c_symbols(mem, syms, addr, t)?;
    }
    Ok(())
}

/// [`verify_c_symbols`] for one type `t`, whose record is at `addr`.
pub(crate) fn verify_type_c_symbols<M: Memory + ?Sized>(
    mem: &M,
    syms: &dyn SymbolTable,
    addr: usize,
    t: &TypeLayout,
) -> Result<()> {
    let bad = |symbol: String, problem: String| Error::CSymbol {
        ty: t.name.clone(),
        symbol,
        problem,
    };
    // One buffer for every symbol name of the type.
    let mut symbol = String::with_capacity(2 * t.name.len() + 32);
    symbol.push_str(&t.name);
    symbol.push_str("_descriptor");
    // Most types have no prefix: a hash lookup (`dlsym`) proves the
    // record is exported as `<Type>_descriptor` without a search of
    // every symbol by address (`dladdr` is linear in the symbols).
    let prefix = if syms.address_of(&symbol) == Some(addr) {
        String::new()
    } else {
        match syms.name_at(addr) {
            Some(name) if name.ends_with(symbol.as_str()) => {
                name[..name.len() - symbol.len()].to_owned()
            }
            Some(name) => {
                return Err(bad(
                    name,
                    format!("the type record is exported under another name than `..{symbol}`"),
                ))
            }
            None => {
                return Err(bad(
                    symbol,
                    "the type record is not an exported symbol".into(),
                ))
            }
        }
    };
    let mut word = |what: &[&str], expected: usize| -> Result<()> {
        symbol.clear();
        symbol.push_str(&prefix);
        symbol.push_str(&t.name);
        symbol.push('_');
        for part in what {
            symbol.push_str(part);
        }
        let Some(at) = syms.address_of(&symbol) else {
            return Err(bad(symbol.clone(), "missing".into()));
        };
        let Some(bytes) = mem.read(at, core::mem::size_of::<usize>()) else {
            return Err(bad(symbol.clone(), "not in the library's data".into()));
        };
        let mut raw = [0u8; core::mem::size_of::<usize>()];
        raw.copy_from_slice(bytes);
        let found = usize::from_ne_bytes(raw);
        if found == expected {
            Ok(())
        } else {
            Err(bad(
                symbol.clone(),
                format!("holds {found}, the descriptor says {expected}"),
            ))
        }
    };
    word(&["size"], t.size)?;
    word(&["align"], t.align)?;
    for f in &t.fields {
        word(&[&f.name, "_offset"], f.offset)?;
    }
    Ok(())
}
