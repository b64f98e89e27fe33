//! Command-line definitions (clap derive only; no logic here). The pip
//! options guard accepts, translates or refuses are in [`compat`].

pub mod compat;

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
    /// Resolve, download and inspect packages before pip installs them (pip-style arguments).
    Install(Box<InstallArgs>),
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
    /// Policy files: validate them and show the policy in effect.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print shell functions that route `pip install` through guard.
    ShellInit {
        /// bash, zsh, fish or powershell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Add guard's shell integration to your shell's start-up file, or (`--index
    /// URL`) point pip and uv at a `guard serve` index (idempotent).
    Setup(SetupArgs),
    /// Remove guard's shell integration from your shell's start-up files.
    Teardown(SetupArgs),
    /// Check that `pip install` is routed through guard in this shell and pip is
    /// usable, and that pip, uv and pdm use the `guard serve` index and it answers.
    Doctor(DoctorArgs),
    /// Serve a guarded package index (PEP 503/691) in front of upstream indexes.
    Serve(Box<ServeArgs>),
    /// Pending reviews of `guard serve` and people's decisions about them.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Entry point of the shell functions (`pip …`, `python -m pip …`).
    #[command(hide = true)]
    Shim {
        /// The command the user typed: pip, pip3, python, python3, …
        program: String,
        /// Its arguments, untouched.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file (default: the files guard would use here) and print the result.
    Check {
        /// A policy file, `guard.toml` or `pyproject.toml`.
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
}

#[derive(Debug, clap::Args)]
pub struct SetupArgs {
    /// Shells to set up (default: the one in $SHELL; none when --index is given).
    #[arg(long, value_enum)]
    pub shell: Vec<Shell>,
    /// A `guard serve` index (`http://host:3141/simple/`) to write into pip's
    /// user `pip.conf` and uv's `uv.toml`; prints the lines for poetry and pdm.
    #[arg(long, value_name = "URL")]
    pub index: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Check the clients against this `guard serve` index only (default: the
    /// shell integration, and the index `guard setup --index` wrote, if any).
    #[arg(long, value_name = "URL")]
    pub index: Option<String>,
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

/// `guard install`: pip-style arguments (issue 5: resolution and download).
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Requirements, as for pip (`requests>=2`, `fastapi[standard]`).
    #[arg(value_name = "REQUIREMENT")]
    pub requirements: Vec<String>,
    /// Install from the given requirements file (repeatable).
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirement_files: Vec<PathBuf>,
    /// Constrain versions using the given constraints file (repeatable).
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraints: Vec<PathBuf>,
    /// Resolve, download and inspect, print the plan, install nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format of the plan.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Base URL of the package index (default: PIP_INDEX_URL, pip.conf, then PyPI).
    #[arg(short = 'i', long, value_name = "URL")]
    pub index_url: Option<String>,
    /// Extra index URLs (the first index that has a project wins).
    #[arg(long, value_name = "URL")]
    pub extra_index_url: Vec<String>,
    /// A local directory (or HTML page) of distribution files.
    #[arg(short = 'f', long, value_name = "DIR")]
    pub find_links: Vec<String>,
    /// Ignore package indexes (only --find-links).
    #[arg(long)]
    pub no_index: bool,
    /// Do not use wheels for these packages (`:all:`, `:none:` or names).
    #[arg(long, value_name = "NAMES")]
    pub no_binary: Vec<String>,
    /// Do not use source distributions for these packages (`:all:`, `:none:` or names).
    #[arg(long, value_name = "NAMES")]
    pub only_binary: Vec<String>,
    /// Include pre-release and development versions.
    #[arg(long)]
    pub pre: bool,
    /// Upgrade the named packages even when an installed version satisfies them.
    #[arg(short = 'U', long)]
    pub upgrade: bool,
    /// Ignore installed packages (resolve everything from the index).
    #[arg(short = 'I', long)]
    pub ignore_installed: bool,
    /// Reinstall every package even when it is already up to date (implies --ignore-installed).
    #[arg(long)]
    pub force_reinstall: bool,
    /// The target interpreter (default: $VIRTUAL_ENV, then python3 on PATH).
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// Cache directory (default: $XDG_CACHE_HOME/guard).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Use a temporary cache removed at exit.
    #[arg(long)]
    pub no_cache: bool,
    /// PEM bundle of extra CA certificates (default: PIP_CERT, SSL_CERT_FILE).
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// Network timeout in seconds, per connect or read. An index page must
    /// arrive within 10× this, and downloads must average 1 KiB/s over such a window.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Retries on 5xx, 429, timeouts and resets.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
    /// Parallel downloads.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 8)]
    pub jobs: usize,
    /// Policy file (see policy.example.toml).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Install a local project in editable mode (repeatable): `-e .`, `-e ./dir[extra]`.
    #[arg(short = 'e', long = "editable", value_name = "PATH")]
    pub editable: Vec<String>,
    /// Install only the named requirements, not their dependencies (they are still inspected).
    #[arg(long)]
    pub no_deps: bool,
    /// Build your own local projects in the current environment (never third-party sdists).
    #[arg(long)]
    pub no_build_isolation: bool,
    /// Who installs the approved files: pip (default) or uv (`uv pip install`; policy: install.installer).
    #[arg(long, value_enum, value_name = "INSTALLER")]
    pub installer: Option<Installer>,
    /// Write pip's JSON installation report to FILE (pip's --report).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Less output on stderr (passed on to pip).
    #[arg(short = 'q', long, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// More output on stderr (passed on to pip).
    #[arg(short = 'v', long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Approve `review` items without asking (never `deny`).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Require a --hash for every requirement (as pip does).
    #[arg(long)]
    pub require_hashes: bool,
    /// Append decisions to this JSON-lines file (default: GUARD_AUDIT_LOG, then <data dir>/guard/audit.jsonl).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Install to the user site (passed on to pip).
    #[arg(long)]
    pub user: bool,
    /// Install into this directory (passed on to pip).
    #[arg(short = 't', long, value_name = "DIR")]
    pub target: Option<PathBuf>,
    /// Installation prefix (passed on to pip).
    #[arg(long, value_name = "DIR")]
    pub prefix: Option<PathBuf>,
    /// Install relative to this root directory (passed on to pip).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Harmless pip options, passed on to pip.
    #[command(flatten)]
    pub pip: PipPassThrough,
    /// pip options guard refuses (they would let pip fetch or run something uninspected).
    #[command(flatten)]
    pub refused: PipRefused,
}

/// pip options that only change how pip installs, passed on unchanged.
#[derive(Debug, Default, clap::Args)]
pub struct PipPassThrough {
    #[arg(long, hide = true)]
    pub break_system_packages: bool,
    #[arg(long, hide = true)]
    pub no_warn_script_location: bool,
    #[arg(long, hide = true)]
    pub no_compile: bool,
    #[arg(long, hide = true)]
    pub compile: bool,
    #[arg(long, hide = true)]
    pub no_color: bool,
    #[arg(long, hide = true)]
    pub disable_pip_version_check: bool,
    #[arg(long, hide = true)]
    pub no_input: bool,
    #[arg(long, hide = true)]
    pub isolated: bool,
    #[arg(long, hide = true)]
    pub no_cache_dir: bool,
    #[arg(long, hide = true, value_name = "STRATEGY")]
    pub upgrade_strategy: Option<String>,
    #[arg(long, hide = true, value_name = "WHEN")]
    pub progress_bar: Option<String>,
    #[arg(long, hide = true, value_name = "ACTION")]
    pub root_user_action: Option<String>,
}

/// pip options guard recognizes and refuses with a reason.
#[derive(Debug, Default, clap::Args)]
pub struct PipRefused {
    #[arg(short = 'C', long, hide = true, value_name = "SETTING")]
    pub config_settings: Vec<String>,
    #[arg(long, hide = true, value_name = "OPTION")]
    pub global_option: Vec<String>,
    #[arg(long, hide = true, value_name = "OPTION")]
    pub install_option: Vec<String>,
    #[arg(long, hide = true, value_name = "DIR")]
    pub src: Option<String>,
    #[arg(long, hide = true, value_name = "HOST")]
    pub trusted_host: Vec<String>,
    #[arg(long, hide = true, value_name = "PROXY")]
    pub proxy: Option<String>,
    #[arg(long, hide = true)]
    pub prefer_binary: bool,
    #[arg(long, hide = true)]
    pub use_pep517: bool,
    #[arg(long, hide = true)]
    pub no_use_pep517: bool,
}

/// The program that installs approved files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Installer {
    Pip,
    Uv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Human,
    Json,
}

/// `guard serve` (issue 13).
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, default_value = "127.0.0.1:3141", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Upstream index (repeatable; the first that has a project wins). Replaces
    /// the policy's `[serve] search` list; default: the policy's, else PyPI.
    #[arg(long = "upstream", value_name = "URL")]
    pub upstreams: Vec<String>,
    /// Look names matching PATTERN (`*` wildcards) up on URL only, never on the
    /// other upstreams (repeatable): `--pin 'acme-*=https://pypi.internal/simple/'`.
    #[arg(long = "pin", value_name = "PATTERN=URL")]
    pub pins: Vec<String>,
    /// Artifacts and the SQLite verdict store (default: guard's cache directory).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Policy file (see policy.example.toml); default: guard's built-in policy.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Verdict store: `postgres://…` (shared by replicas) or a SQLite file
    /// (default: `serve-v1.sqlite3` in the cache directory).
    #[arg(long, value_name = "URL", env = "GUARD_DATABASE")]
    pub database: Option<String>,
    /// Seconds before an upstream connection or read gives up (then 504).
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub upstream_timeout: u64,
    /// Retries of an upstream request on 5xx, 429, timeouts and resets.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub upstream_retries: u32,
    /// Seconds an upstream project page is reused.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub page_ttl: u64,
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Pending reviews first, then decisions.
    List(ReviewStore),
    /// The verdicts, findings and decision recorded for one release.
    Show {
        name: String,
        #[arg(value_name = "VERSION")]
        release: String,
        #[command(flatten)]
        store: ReviewStore,
    },
    /// Let `guard serve` hand out this release despite its `review` verdict.
    Approve(ReviewDecision),
    /// Refuse this release for good (and hide it from pages).
    Deny(ReviewDecision),
}

#[derive(Debug, clap::Args)]
pub struct ReviewStore {
    /// The store `guard serve` uses: `postgres://…` or a SQLite file.
    #[arg(long, value_name = "URL", env = "GUARD_DATABASE")]
    pub database: Option<String>,
    /// The cache directory whose SQLite store to use (default: guard's).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Ask a running `guard serve` instead of the store (its `/-/reviews`
    /// endpoints; needs a token of scope `review` in $GUARD_TOKEN or --token-file).
    #[arg(long, value_name = "URL", env = "GUARD_SERVER")]
    pub server: Option<String>,
    /// A file holding the token for --server (default: $GUARD_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ReviewDecision {
    pub name: String,
    #[arg(value_name = "VERSION")]
    pub release: String,
    /// Why (recorded in the store and the audit log).
    #[arg(long, required = true)]
    pub reason: String,
    /// Who decides (default: $GUARD_REVIEWER, else $USER).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// The approval stops counting after this many days.
    #[arg(long, value_name = "DAYS")]
    pub expires_in_days: Option<u64>,
    #[command(flatten)]
    pub store: ReviewStore,
}
