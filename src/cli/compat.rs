//! pip compatibility of `guard install`: which pip options are passed on to
//! the installer (and how uv spells them), and which are refused because they
//! would let the installer fetch, build or run something guard did not inspect.

use std::ffi::OsString;

use super::{InstallArgs, Installer};

/// A pip option guard cannot honour, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("unsupported pip option: {0}")]
pub struct Refused(pub String);

/// Options that would let pip fetch, build or run something uninspected.
pub fn refuse_unsupported(args: &InstallArgs, installer: Installer) -> Result<(), Refused> {
    let r = &args.refused;
    let why = if !r.config_settings.is_empty() || !r.global_option.is_empty() || !r.install_option.is_empty() {
        Some("--config-settings/--global-option/--install-option pass arguments to build code guard cannot vet")
    } else if r.src.is_some() {
        Some("--src is for editable VCS checkouts, which guard does not support: clone the repository and use -e DIR")
    } else if !r.trusted_host.is_empty() {
        Some("--trusted-host weakens TLS checking; use --cert with the host's CA bundle instead")
    } else if r.proxy.is_some() {
        Some("--proxy is not supported; guard uses HTTPS_PROXY/HTTP_PROXY from the environment")
    } else if r.prefer_binary {
        Some("--prefer-binary is not supported; use --only-binary :all: to avoid source distributions")
    } else if r.use_pep517 || r.no_use_pep517 {
        Some("--use-pep517/--no-use-pep517 are not supported: pip always builds with PEP 517 in guard's handoff")
    } else if args.no_build_isolation && args.editable.is_empty() && !has_local_arg(args) {
        Some("--no-build-isolation applies only to your own local projects (`.`, -e DIR): third-party sdists are always built from inspected build dependencies")
    } else if let Some(s) = args
        .pip
        .upgrade_strategy
        .as_deref()
        .filter(|s| !matches!(*s, "only-if-needed" | "eager"))
    {
        return Err(Refused(format!(
            "--upgrade-strategy `{s}`: pip knows only-if-needed and eager"
        )));
    } else {
        None
    };
    if let Some(why) = why {
        return Err(Refused(why.into()));
    }
    if installer == Installer::Uv {
        let uv_why = if args.user {
            Some("--user is not supported by uv: use a virtual environment, or --installer pip")
        } else if args.root.is_some() {
            Some("--root is not supported by uv: use --installer pip")
        } else if args.report.is_some() {
            Some("--report is pip's installation report: use --installer pip")
        } else {
            None
        };
        if let Some(why) = uv_why {
            return Err(Refused(why.into()));
        }
    }
    Ok(())
}

/// Whether a positional requirement could be a local project (a path).
fn has_local_arg(args: &InstallArgs) -> bool {
    args.requirements
        .iter()
        .any(|r| r.starts_with('.') || r.starts_with('/') || r.starts_with('~') || r.contains('/'))
        || !args.requirement_files.is_empty()
}

/// Options passed on to the installer: install location, verbosity, harmless switches.
pub fn pass_through(args: &InstallArgs, installer: Installer) -> Vec<OsString> {
    let mut v: Vec<OsString> = Vec::new();
    let uv = installer == Installer::Uv;
    let flag = |v: &mut Vec<OsString>, on: bool, name: &str| {
        if on {
            v.push(name.into());
        }
    };
    flag(&mut v, args.user, "--user");
    for (opt, dir) in [
        ("--target", &args.target),
        ("--prefix", &args.prefix),
        ("--root", &args.root),
    ] {
        if let Some(d) = dir {
            v.push(opt.into());
            v.push(d.clone().into_os_string());
        }
    }
    let reinstall = args.ignore_installed || args.force_reinstall;
    flag(&mut v, reinstall, if uv { "--reinstall" } else { "--force-reinstall" });
    for _ in 0..args.quiet {
        v.push("-q".into());
    }
    for _ in 0..args.verbose {
        v.push("-v".into());
    }
    let p = &args.pip;
    flag(&mut v, p.break_system_packages, "--break-system-packages");
    if uv {
        flag(&mut v, p.compile, "--compile-bytecode");
        flag(&mut v, p.no_cache_dir, "--no-cache");
        return v;
    }
    flag(&mut v, p.no_warn_script_location, "--no-warn-script-location");
    flag(&mut v, p.no_compile, "--no-compile");
    flag(&mut v, p.compile, "--compile");
    flag(&mut v, p.no_color, "--no-color");
    flag(&mut v, p.no_cache_dir, "--no-cache-dir");
    for (opt, val) in [
        ("--progress-bar", &p.progress_bar),
        ("--root-user-action", &p.root_user_action),
    ] {
        if let Some(val) = val {
            v.push(opt.into());
            v.push(val.into());
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(line: &[&str]) -> InstallArgs {
        let cli = crate::cli::Cli::try_parse_from(["guard", "install"].iter().chain(line)).unwrap();
        match cli.command {
            crate::cli::Command::Install(a) => *a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn refuses_what_would_widen_the_install() {
        for line in [
            &["x", "--trusted-host", "h"][..],
            &["x", "--config-settings", "a=b"],
            &["x", "--no-build-isolation"],
            &["x", "--upgrade-strategy", "sometimes"],
        ] {
            assert!(refuse_unsupported(&args(line), Installer::Pip).is_err(), "{line:?}");
        }
        for line in [
            &["-e", ".", "--no-build-isolation"][..],
            &["./proj", "--no-build-isolation"],
            &["x", "--upgrade-strategy", "eager", "--no-deps", "--force-reinstall"],
        ] {
            assert!(refuse_unsupported(&args(line), Installer::Pip).is_ok(), "{line:?}");
        }
        let err = refuse_unsupported(&args(&["x", "--user"]), Installer::Uv).unwrap_err();
        assert!(err.to_string().contains("uv"), "{err}");
    }

    #[test]
    fn translates_flags_for_uv() {
        let a = args(&[
            "x",
            "--force-reinstall",
            "--no-warn-script-location",
            "--progress-bar",
            "off",
        ]);
        let pip: Vec<String> = pass_through(&a, Installer::Pip)
            .iter()
            .map(|s| s.to_string_lossy().into())
            .collect();
        assert_eq!(
            pip,
            [
                "--force-reinstall",
                "--no-warn-script-location",
                "--progress-bar",
                "off"
            ]
        );
        let uv: Vec<String> = pass_through(&a, Installer::Uv)
            .iter()
            .map(|s| s.to_string_lossy().into())
            .collect();
        assert_eq!(uv, ["--reinstall"]);
    }
}
