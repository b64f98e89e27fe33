//! Projects the user named by file, URL or git repository: the resolver
//! sees exactly that one file for them (with the metadata read from it) and
//! never asks an index about the name.

use std::collections::HashMap;
use std::sync::Arc;

use pep508_rs::PackageName;

use super::files::Selector;
use super::metadata::DistMetadata;
use super::{Error, Source};
use crate::index::{DistFile, Project};

/// A [`Source`] that answers for directly named projects and asks `inner` for the rest.
pub struct WithPinned<'a, S: Source> {
    inner: &'a S,
    pinned: HashMap<PackageName, (Arc<Project>, Arc<DistMetadata>)>,
}

impl<'a, S: Source> WithPinned<'a, S> {
    pub fn new(inner: &'a S) -> WithPinned<'a, S> {
        WithPinned {
            inner,
            pinned: HashMap::new(),
        }
    }

    /// Makes `file` the only file of `name`.
    pub fn pin(&mut self, name: PackageName, file: DistFile, metadata: DistMetadata) {
        let project = Project {
            name: name.to_string(),
            files: vec![file],
            index: None,
            also_on: Vec::new(),
        };
        self.pinned.insert(name, (Arc::new(project), Arc::new(metadata)));
    }
}

impl<S: Source> Source for WithPinned<'_, S> {
    fn project(&self, name: &PackageName) -> Result<Arc<Project>, Error> {
        match self.pinned.get(name) {
            Some((p, _)) => Ok(p.clone()),
            None => self.inner.project(name),
        }
    }

    fn metadata(&self, name: &PackageName, file: &DistFile) -> Result<Arc<DistMetadata>, Error> {
        match self.pinned.get(name) {
            Some((p, md)) if p.files.first() == Some(file) => Ok(md.clone()),
            _ => self.inner.metadata(name, file),
        }
    }

    fn prefetch(&self, names: &[PackageName], selector: &Selector) {
        let rest: Vec<PackageName> = names
            .iter()
            .filter(|n| !self.pinned.contains_key(*n))
            .cloned()
            .collect();
        if !rest.is_empty() {
            self.inner.prefetch(&rest, selector);
        }
    }
}
