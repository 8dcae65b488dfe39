//! A module's types, each checked the first time it is asked for: the
//! manifest and the type names are checked when a library is opened
//! (`layout_meta::ModuleIndex`), a type (all of it, by every rule) when it
//! is first bound. One implementation for a loaded library and for a file
//! read offline (the registry's choice), so that both reach one verdict.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use layout_meta::{Identity, ModuleIndex, ModuleLayout, TypeLayout};
use resilient_types::ForeignType;

/// What asking for a type gives: the type, or why it is not valid.
pub(crate) type Checked = Result<Arc<ForeignType>, layout_meta::Error>;

/// The types of one module (see the module docs).
pub(crate) struct Types {
    index: ModuleIndex,
    slots: Vec<OnceLock<Checked>>,
    /// The types the functions refer to (checked with the manifest).
    referred: Vec<usize>,
}

impl Types {
    /// The types of `index`, those `checked` already made with `make`.
    pub(crate) fn new(
        index: ModuleIndex,
        checked: Vec<(usize, TypeLayout)>,
        mut make: impl FnMut(TypeLayout) -> ForeignType,
    ) -> Types {
        let slots: Vec<OnceLock<Checked>> = (0..index.len()).map(|_| OnceLock::new()).collect();
        let mut referred = Vec::with_capacity(checked.len());
        for (i, t) in checked {
            referred.push(i);
            if let Some(slot) = slots.get(i) {
                let _ = slot.set(Ok(Arc::new(make(t))));
            }
        }
        Types {
            index,
            slots,
            referred,
        }
    }

    /// The manifest's index.
    pub(crate) fn index(&self) -> &ModuleIndex {
        &self.index
    }

    /// Type `i`: checked with `check` the first time (then made with
    /// `make`), remembered after.
    pub(crate) fn get(
        &self,
        i: usize,
        check: impl FnOnce(&ModuleIndex, usize) -> Result<TypeLayout, layout_meta::Error>,
        make: impl FnOnce(TypeLayout) -> ForeignType,
    ) -> Option<&Checked> {
        let slot = self.slots.get(i)?;
        Some(slot.get_or_init(|| Ok(Arc::new(make(check(&self.index, i)?)))))
    }

    /// The types made so far.
    pub(crate) fn made(&self) -> impl Iterator<Item = &Arc<ForeignType>> {
        self.slots.iter().filter_map(|s| s.get()?.as_ref().ok())
    }

    /// Checks type `name` and the types it nests (by name, at any depth),
    /// through `get`: a bad one is an error naming it. A name the module
    /// does not list is left to the binder.
    pub(crate) fn check_closure<'a>(
        &self,
        name: &str,
        get: &dyn Fn(usize) -> Option<&'a Checked>,
    ) -> Result<(), layout_meta::Error> {
        let Some(first) = self.index.find(name) else {
            return Ok(());
        };
        // Most types nest none: nothing is allocated for them.
        let mut seen = BTreeSet::new();
        let mut todo = Vec::new();
        let mut next = Some(first);
        while let Some(i) = next.take().or_else(|| todo.pop()) {
            let l = match get(i) {
                Some(Ok(t)) => t.layout(),
                Some(Err(e)) => return Err(e.clone()),
                None => continue,
            };
            let payloads = l
                .enum_info
                .iter()
                .flat_map(|e| &e.cases)
                .flat_map(|c| &c.fields);
            for f in l.fields.iter().chain(payloads) {
                let mut id = &f.identity;
                while let Identity::Array { element, .. } = id {
                    id = element;
                }
                if let Identity::Resilient { name, .. } = id {
                    if let Some(j) = self.index.find(name) {
                        if seen.is_empty() {
                            seen.insert(first);
                        }
                        if seen.insert(j) {
                            todo.push(j);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The whole module, every type checked through `get`, in the order of
    /// [`ModuleIndex::order`]: the first problem is the one a reader that
    /// checks the whole module at once reports.
    pub(crate) fn module<'a>(
        &self,
        get: &dyn Fn(usize) -> Option<&'a Checked>,
    ) -> Result<ModuleLayout, layout_meta::Error> {
        for i in self.index.order(&self.referred) {
            if let Some(Err(e)) = get(i) {
                return Err(e.clone());
            }
        }
        let types = (0..self.index.len())
            .filter_map(|i| match get(i) {
                Some(Ok(t)) => Some(t.layout().clone()),
                _ => None,
            })
            .collect();
        Ok(ModuleLayout {
            name: self.index.name().to_owned(),
            version: self.index.version().to_owned(),
            types,
            functions: self.index.functions().to_vec(),
            impls: self.index.impls().to_vec(),
        })
    }
}
