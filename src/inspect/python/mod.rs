//! Static analysis of Python sources: parse, resolve names, fold constants,
//! decode payloads. Produces facts for the rules; never runs anything.

use crate::archive::Member;
use crate::inspect::Role;

/// Facts about one Python source (or `.pth` file, or decoded payload).
#[derive(Debug, Clone)]
pub struct PyFile {
    pub path: String,
    pub role: Role,
}

/// `true` for members whose text guard analyses as Python.
pub fn is_source(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".py") || lower.ends_with(".pyw") || lower.ends_with(".pth")
}

pub fn analyse_member(member: &Member, role: Role) -> PyFile {
    PyFile {
        path: member.path.clone(),
        role,
    }
}
