//! A module checked by parts: its manifest and type names first, each type
//! when a reader asks for it. What [`super::validate`] and
//! [`validate_library`] check at once, a loader can check type by type:
//! opening a library then costs its manifest and its type names, and each
//! type is checked (all of it: the same rules) the first time it is bound.

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use super::decode::{self, Budget};
use super::verify;
use super::{Error, Memory, Result, SymbolTable};
use crate::layout::{FunctionLayout, ImplLayout, ModuleLayout, TypeLayout};
use crate::limits;

/// One type of the manifest: where its record is, and where its name is in
/// the index's names.
#[derive(Clone, Copy, Debug)]
struct Entry {
    record: usize,
    name: (u32, u32),
}

/// A module whose manifest has been checked, and whose types are checked
/// one at a time ([`ModuleIndex::validate_type`]).
///
/// [`ModuleIndex::new`] reads and checks the manifest header, the type
/// list and every type's name (type names are unique), decodes and checks
/// the functions and interface implementations, and checks in full the
/// types they refer to (`ModuleIndex::new` returns them). Every other type
/// is read only when asked for, and then checked by every rule a type has
/// (those of [`super::verify`] for one type, the nested rule against the
/// module's type of the nested name, and for a library its code addresses
/// and C symbols). Checking every type this way accepts and refuses exactly
/// what [`super::validate`] (and [`validate_library`]) do.
///
/// Finding a type by name costs a hash and a binary search: the index is
/// built in `O(n log n)` for `n` types, from one allocation for the names.
/// Memory stays inside [`limits::MAX_MODULE_BYTES`] for the index and
/// every type checked through it together.
#[derive(Debug)]
pub struct ModuleIndex {
    name: String,
    version: String,
    manifest: usize,
    type_size: usize,
    field_size: usize,
    /// Every type name, one after the other.
    names: String,
    /// The types, in manifest order.
    entries: Vec<Entry>,
    /// `(name hash, index)` for every type, sorted.
    by_hash: Vec<(u64, u32)>,
    functions: Vec<FunctionLayout>,
    impls: Vec<ImplLayout>,
    /// What is left of the module's memory budget.
    budget: AtomicUsize,
}

/// Whether the library checks (code addresses, C symbols) apply: `Some`
/// with the library's symbols for a library image.
pub type LibrarySymbols<'a> = Option<&'a dyn SymbolTable>;

impl ModuleIndex {
    /// Checks the manifest at `manifest_addr` (see the type docs), with the
    /// checks of a library if `library` gives its symbols. Returns the
    /// index and the types the functions and implementations refer to,
    /// checked, with their indices.
    ///
    /// # Errors
    ///
    /// The first problem found, as [`super::validate`] would report it.
    pub fn new<M: Memory + ?Sized>(
        mem: &M,
        manifest_addr: usize,
        library: LibrarySymbols<'_>,
    ) -> Result<(ModuleIndex, Vec<(usize, TypeLayout)>)> {
        let h = decode::header(mem, manifest_addr)?;
        let n = h.type_count;
        let mut budget = Budget::new();
        // What the types take once decoded, and the index itself.
        budget.take(n.saturating_mul(
            core::mem::size_of::<TypeLayout>()
                + core::mem::size_of::<Entry>()
                + core::mem::size_of::<(u64, u32)>(),
        ))?;
        // Room for names of 16 bytes on average (one allocation for most
        // modules; within what the budget charged each type above).
        let mut names = String::with_capacity(n.saturating_mul(16));
        let mut entries = Vec::with_capacity(n);
        let mut by_hash = Vec::with_capacity(n);
        for i in 0..n {
            let record = h.type_record(i);
            let name = decode::type_name_at(mem, record, i, h.type_size)?;
            budget.take(name.len())?;
            let start = names.len();
            names.push_str(name);
            // `n <= MAX_TYPES` and the names fit the budget: both fit u32.
            let at = |v: usize| u32::try_from(v).map_err(|_| decode::overflow("type names"));
            entries.push(Entry {
                record,
                name: (at(start)?, at(names.len())?),
            });
            by_hash.push((crate::name_hash(name), at(i)?));
        }
        by_hash.sort_unstable();
        let (functions, impls) = decode::decode_calls(mem, &h, &mut budget)?;
        let mut index = ModuleIndex {
            name: h.name,
            version: h.version,
            manifest: manifest_addr,
            type_size: h.type_size,
            field_size: h.field_size,
            names,
            entries,
            by_hash,
            functions,
            impls,
            budget: AtomicUsize::new(budget.remaining()),
        };
        index.check_unique()?;
        // The types the functions and implementations refer to, in
        // manifest order, then the calls' own rules over them.
        let mut referred: Vec<usize> = verify::call_referents(&index.functions, &index.impls)
            .filter_map(|name| index.find(name))
            .collect();
        referred.sort_unstable();
        referred.dedup();
        let mut checked = Vec::with_capacity(referred.len());
        for i in referred {
            checked.push((i, index.validate_type(mem, i, library)?));
        }
        {
            let checked = &checked;
            let index = &index;
            let by_name = |name: &str| {
                let i = index.find(name)?;
                checked
                    .binary_search_by_key(&i, |(j, _)| *j)
                    .ok()
                    .and_then(|k| checked.get(k))
                    .map(|(_, t)| t)
            };
            verify::verify_calls(&index.functions, &index.impls, &by_name)?;
        }
        if library.is_some() {
            verify::check_call_code(mem, &index.functions, &index.impls)?;
        }
        // The calls are kept: their memory stays charged.
        index.functions.shrink_to_fit();
        Ok((index, checked))
    }

    /// Type names are unique: reports the name whose second occurrence
    /// comes first in the manifest, as a reader that adds names one by one
    /// to a set does.
    fn check_unique(&self) -> Result<()> {
        let mut first_repeat: Option<usize> = None;
        let mut run = 0;
        while run < self.by_hash.len() {
            let hash = self.by_hash[run].0;
            let end = self.by_hash[run..]
                .iter()
                .position(|e| e.0 != hash)
                .map_or(self.by_hash.len(), |k| run + k);
            // Within one hash (one name, or a collision), sorted by name
            // then index: a name's second occurrence follows its first.
            // Sorting keeps it `n log n` even if every name is the same.
            if end - run > 1 {
                let mut group: Vec<(&str, u32)> = self.by_hash[run..end]
                    .iter()
                    .map(|e| (self.type_name(e.1 as usize), e.1))
                    .collect();
                group.sort_unstable();
                for pair in group.windows(2) {
                    if let [(a, _), (b, later)] = pair {
                        let later = *later as usize;
                        if a == b && first_repeat.is_none_or(|f| later < f) {
                            first_repeat = Some(later);
                        }
                    }
                }
            }
            run = end;
        }
        match first_repeat {
            Some(i) => Err(Error::DuplicateType {
                name: self.type_name(i).into(),
            }),
            None => Ok(()),
        }
    }

    /// The module's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The module's version (semver syntax, checked).
    pub fn version(&self) -> &str {
        &self.version
    }
    /// The manifest's address.
    pub fn manifest_address(&self) -> usize {
        self.manifest
    }
    /// How many types the module lists.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// Whether the module lists no type.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// The name of type `i` (in manifest order; empty past the end).
    pub fn type_name(&self, i: usize) -> &str {
        self.entries
            .get(i)
            .and_then(|e| self.names.get(e.name.0 as usize..e.name.1 as usize))
            .unwrap_or_default()
    }
    /// The address of type `i`'s record (0 past the end).
    pub fn type_record(&self, i: usize) -> usize {
        self.entries.get(i).map_or(0, |e| e.record)
    }
    /// The index of the type called `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        let hash = crate::name_hash(name);
        let first = self.by_hash.partition_point(|e| e.0 < hash);
        self.by_hash[first..]
            .iter()
            .take_while(|e| e.0 == hash)
            .map(|e| e.1 as usize)
            .find(|&i| self.type_name(i) == name)
    }
    /// The functions, checked.
    pub fn functions(&self) -> &[FunctionLayout] {
        &self.functions
    }
    /// The interface implementations, checked.
    pub fn impls(&self) -> &[ImplLayout] {
        &self.impls
    }

    /// The order in which [`ModuleIndex::into_module`] checks the types:
    /// those the functions refer to (checked by [`ModuleIndex::new`]), then
    /// the others, each in manifest order. A reader that checks types one
    /// at a time and then all of them reports the first problem in this
    /// order, as [`validate_library`] does.
    pub fn order(&self, referred: &[usize]) -> Vec<usize> {
        let mut rest: Vec<bool> = alloc::vec![true; self.len()];
        for &i in referred {
            if let Some(r) = rest.get_mut(i) {
                *r = false;
            }
        }
        referred
            .iter()
            .copied()
            .chain((0..self.len()).filter(|&i| rest[i]))
            .collect()
    }

    /// Checks type `i` in full: decodes it, proves every invariant of
    /// [`TypeLayout`], the nested rule against the module's types of the
    /// nested names, and, for a library (`library` gives its symbols), that
    /// its witnesses lie in code and its C symbols say what its record
    /// says. Unsafe code may rely on the result as on a type of a module
    /// [`super::validate`] accepted.
    ///
    /// # Errors
    ///
    /// The first problem found, naming the type; [`Error::LimitExceeded`]
    /// if the types checked so far and this one take more memory than a
    /// module may; [`Error::Unreadable`] if `i` is past the end.
    pub fn validate_type<M: Memory + ?Sized>(
        &self,
        mem: &M,
        i: usize,
        library: LibrarySymbols<'_>,
    ) -> Result<TypeLayout> {
        let Some(e) = self.entries.get(i) else {
            return Err(Error::Unreadable {
                what: alloc::format!("type record #{i}"),
                address: 0,
                len: self.type_size,
            });
        };
        let left = self.budget.load(Ordering::Relaxed);
        let mut budget = Budget::left(left);
        let t = decode::decode_type(
            mem,
            e.record,
            i,
            self.type_size,
            self.field_size,
            &mut budget,
        )?;
        verify::check_type(&t)?;
        verify::check_nested(&t, &|name| {
            let j = self.find(name)?;
            decode::type_size_align(mem, self.type_record(j), self.type_size)
        })?;
        if let Some(syms) = library {
            verify::check_type_code(mem, &t)?;
            super::symbols::verify_type_c_symbols(mem, syms, e.record, &t)?;
        }
        // Charge what the type took; checks running side by side share the
        // budget.
        let used = left - budget.remaining();
        self.budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                now.checked_sub(used)
            })
            .map_err(|now| Error::LimitExceeded {
                what: "size in memory of the decoded module".into(),
                found: (limits::MAX_MODULE_BYTES - now).saturating_add(used),
                limit: limits::MAX_MODULE_BYTES,
            })?;
        Ok(t)
    }

    /// Checks every type not yet checked (in [`ModuleIndex::order`]) and
    /// returns the whole module; `checked` are the types already checked,
    /// with their indices.
    ///
    /// # Errors
    ///
    /// The first problem found.
    pub fn into_module<M: Memory + ?Sized>(
        self,
        mem: &M,
        library: LibrarySymbols<'_>,
        checked: Vec<(usize, TypeLayout)>,
    ) -> Result<ModuleLayout> {
        let mut types: Vec<Option<TypeLayout>> = alloc::vec![None; self.len()];
        let referred: Vec<usize> = checked.iter().map(|(i, _)| *i).collect();
        for (i, t) in checked {
            if let Some(slot) = types.get_mut(i) {
                *slot = Some(t);
            }
        }
        for i in self.order(&referred) {
            if types.get(i).is_some_and(Option::is_none) {
                let t = self.validate_type(mem, i, library)?;
                types[i] = Some(t);
            }
        }
        Ok(ModuleLayout {
            types: types.into_iter().flatten().collect(),
            name: self.name,
            version: self.version,
            functions: self.functions,
            impls: self.impls,
        })
    }
}

/// Decodes and checks a library's manifest at `manifest_addr` in full: what
/// [`super::validate`] checks, and that every witness and thunk lies in
/// code ([`super::verify_code_addresses`]) and every type's C symbols say
/// what its record says ([`super::verify_c_symbols`]), in the order of
/// [`ModuleIndex`] (a loader that checks types one at a time reports the
/// same first problem).
///
/// # Errors
///
/// The first problem found.
pub fn validate_library<M: Memory + ?Sized>(
    mem: &M,
    syms: &dyn SymbolTable,
    manifest_addr: usize,
) -> Result<ModuleLayout> {
    let (index, checked) = ModuleIndex::new(mem, manifest_addr, Some(syms))?;
    index.into_module(mem, Some(syms), checked)
}
