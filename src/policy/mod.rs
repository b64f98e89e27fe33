//! The user's policy: which rules apply at what severity, which packages are
//! allowed or denied, and how installs behave. `keys` is the table of every
//! key, `config` reads the TOML files with it; `verdict` decides.

mod config;
mod keys;
pub mod serve;
mod verdict;

pub use config::{
    find_project, load, load_layered, parse, AllowEntry, Date, DenyEntry, Error, Location, Lookup, Policy, Sdist,
    Typosquat, SYSTEM_POLICY,
};
pub use keys::{lockable, Key, Kind, KEYS};
pub use verdict::{decide, decide_candidate, Candidate, Verdict, FINDINGS};
