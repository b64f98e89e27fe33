//! The user's policy: which rules apply at what severity, which packages are
//! allowed or denied, and how installs behave. `config` reads the TOML files;
//! `verdict` decides.

mod config;
pub mod serve;
mod verdict;

pub use config::{
    find_project, load, load_layered, parse, AllowEntry, Date, DenyEntry, Error, Location, Lookup, Policy, Sdist,
    Typosquat, LOCKABLE, SYSTEM_POLICY,
};
pub use verdict::{decide, decide_candidate, Candidate, Verdict, FINDINGS};
