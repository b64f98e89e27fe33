//! The user's policy: which rules apply at what severity, and how findings
//! become a verdict. `config` reads the TOML file; `verdict` decides.

mod config;
mod verdict;

pub use config::{load, Error, Policy};
pub use verdict::{decide, Verdict};
