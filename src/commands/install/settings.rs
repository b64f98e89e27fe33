//! Step 1 of `guard install`: the settings in effect. Command line >
//! requirement files > `PIP_*` environment > pip.conf, checked against the
//! policy's index hosts.

use anyhow::{bail, Context};
use url::Url;

use crate::cli::{InstallArgs, Installer};
use crate::index::{self, IndexSettings};
use crate::policy::Policy;
use crate::requirements::{split_format_control, RequirementSet};

/// Everything that decides where packages come from and which files qualify.
#[derive(Debug, Clone)]
pub struct Settings {
    pub index_urls: Vec<Url>,
    pub find_links: Vec<String>,
    pub no_binary: Vec<String>,
    pub only_binary: Vec<String>,
    pub pre: bool,
    pub cert: Option<std::path::PathBuf>,
    pub timeout: f64,
    pub installer: Installer,
}

impl Settings {
    pub fn merge(args: &InstallArgs, reqs: &RequirementSet, policy: &Policy) -> anyhow::Result<Settings> {
        let cfg = index::config::load().context("cannot read pip's configuration")?;
        let file_opts = &reqs.options;
        let no_index = args.no_index || file_opts.no_index || cfg.no_index;
        let primary = args
            .index_url
            .clone()
            .or_else(|| file_opts.index_url.clone())
            .or_else(|| cfg.index_url.clone())
            .unwrap_or_else(|| IndexSettings::PYPI.to_string());
        let mut index_urls = Vec::new();
        if !no_index {
            for u in std::iter::once(&primary)
                .chain(&args.extra_index_url)
                .chain(&file_opts.extra_index_urls)
                .chain(&cfg.extra_index_urls)
            {
                let url = Url::parse(u).with_context(|| format!("invalid index URL `{u}`"))?;
                if !index_urls.contains(&url) {
                    index_urls.push(url);
                }
            }
        }
        let mut find_links: Vec<String> = args.find_links.clone();
        find_links.extend(file_opts.find_links.iter().cloned());
        find_links.extend(cfg.find_links.iter().cloned());
        let norm = |v: &[String]| -> Vec<String> { v.iter().flat_map(|s| split_format_control(s)).collect() };
        let mut no_binary = norm(&args.no_binary);
        no_binary.extend(file_opts.no_binary.iter().cloned());
        no_binary.extend(norm(&cfg.no_binary));
        let mut only_binary = norm(&args.only_binary);
        only_binary.extend(file_opts.only_binary.iter().cloned());
        only_binary.extend(norm(&cfg.only_binary));
        let settings = Settings {
            index_urls,
            find_links,
            no_binary,
            only_binary,
            pre: args.pre || file_opts.pre || cfg.pre,
            cert: args
                .cert
                .clone()
                .or(cfg.cert.clone())
                .or_else(|| std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from)),
            timeout: args.timeout.or(cfg.timeout).unwrap_or(15.0),
            installer: args.installer.unwrap_or(policy.installer),
        };
        settings.check_hosts(policy)?;
        Ok(settings)
    }

    /// Every index and find-links host must be one the policy allows.
    fn check_hosts(&self, policy: &Policy) -> anyhow::Result<()> {
        for u in self
            .index_urls
            .iter()
            .map(|u| u.as_str())
            .chain(self.find_links.iter().map(String::as_str))
        {
            let host = Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
            if let Some(host) = host {
                if !policy.host_allowed(&host) {
                    bail!(
                        "the policy does not allow the index host `{host}` ({u}); allowed: {}",
                        policy.index_hosts.join(", ")
                    );
                }
            }
        }
        Ok(())
    }
}

/// Requirements from the arguments, `-e` options and files.
pub fn requirements(args: &InstallArgs) -> anyhow::Result<RequirementSet> {
    let mut reqs = RequirementSet::default();
    for r in &args.requirements {
        reqs.add_arg(r)?;
    }
    for e in &args.editable {
        reqs.add_editable(e)?;
    }
    for f in &args.requirement_files {
        reqs.add_file(f)?;
    }
    for f in &args.constraints {
        reqs.add_constraints(f)?;
    }
    if args.require_hashes {
        reqs.options.require_hashes = true;
    }
    reqs.check_hash_mode()?;
    if reqs.requirements.is_empty() && reqs.direct.is_empty() {
        bail!("nothing to install: give requirements, a path (`.`), -e PATH or -r FILE");
    }
    Ok(reqs)
}
