//! Command-line definitions (clap derive only; no logic here).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// guard stands between you and PyPI: it resolves, downloads and statically
/// inspects every Python package before pip may run any of its code.
#[derive(Debug, Parser)]
#[command(name = "guard", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect local artifacts (wheels, sdists, eggs) offline.
    Scan(ScanArgs),
    /// List every detection rule.
    Rules,
    /// Explain one rule: what it detects, why, and examples.
    Explain {
        /// The rule id, for example `exec-decoded-payload`.
        id: String,
    },
    /// Check package names for typosquats of popular projects ("did you mean").
    CheckName(CheckNameArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckNameArgs {
    /// Names as typed, for example `reqeusts`.
    #[arg(required_unless_present = "self_check", value_name = "NAME")]
    pub names: Vec<String>,
    /// Check every listed name against the others and print those that flag.
    #[arg(long, hide = true)]
    pub self_check: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Artifacts, or directories searched recursively for artifacts.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Policy file (see policy.example.toml).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Number of artifacts scanned in parallel (default: number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}
