use super::vocab;
use crate::declare_rule;
use crate::inspect::python::Call;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Flags code that writes to places that start programs automatically:
    /// the Windows `Run` registry keys and Startup folder, scheduled tasks,
    /// crontab, shell rc files (`~/.bashrc`, `~/.zshrc`, `~/.profile`), systemd
    /// units, XDG autostart and macOS LaunchAgents. A mention alone is not
    /// enough: the same code must also write a file, the registry, or run a command.
    ///
    /// ## Why is this bad?
    /// Persistence keeps malware running after the package is uninstalled.
    ///
    /// ## Example
    /// ```python
    /// winreg.SetValueEx(winreg.OpenKey(HKCU, r"Software\Microsoft\Windows\CurrentVersion\Run", ...), ...)  # Error
    /// open(os.path.expanduser("~/.bashrc"), "a").write("curl x | sh\n")                              # Error
    /// print("add `eval $(tool completion)` to ~/.bashrc")                                            # No error
    /// ```
    ///
    /// ## False positives
    /// Shell-completion installers that append to rc files, and daemons whose
    /// `install-service` command writes a systemd unit or a launchd agent, when
    /// asked (systemd, launchd, the task scheduler): `medium` inside functions.
    /// Run keys, Startup folders and autostart entries stay `high` there.
    StartupPersistence, id = "startup-persistence", severity = High,
    summary = "writes Run keys, Startup folder, crontab, shell rc files or launch agents"
}

impl Rule for StartupPersistence {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            let code = unit.code;
            // The place and the write must be in the same function (or both at module level).
            let writes = |c: &&Call| {
                c.name.starts_with("winreg.SetValue")
                    || c.name.starts_with("_winreg.SetValue")
                    || vocab::is_shell(&c.name)
                    || matches!(
                        c.name.as_str(),
                        "shutil.copy" | "shutil.copyfile" | "shutil.copy2" | "shutil.move"
                    )
                    || c.name.ends_with(".write")
                    || (c.name == "open"
                        && c.arg_strs
                            .iter()
                            .any(|m| matches!(m.as_str(), "w" | "a" | "wb" | "ab" | "a+" | "w+")))
            };
            let writer_in = |scope: u32| code.calls.iter().filter(|c| c.scope == scope).find(writes);
            let literal = code
                .strings
                .iter()
                .filter_map(|l| vocab::persistence_kind(&l.value).map(|p| (l, p)))
                .find_map(|(lit, place)| writer_in(lit.scope).map(|w| (lit.line, lit.stage, place, w)));
            // A place no literal spells out: a path built from `chr()` codes or
            // decoded, as folded into a call's arguments (`open(home + "/.profile", "a")`,
            // `os.path.join(home, "".join(map(chr, […])))`, issue 11).
            let built = || {
                code.calls.iter().find_map(|c| {
                    let join = c.name.ends_with("path.join") || c.name.ends_with(".joinpath");
                    let place = c.arg_strs.iter().find_map(|a| {
                        vocab::persistence_kind(a)
                            .or_else(|| join.then(|| vocab::persistence_kind(&format!("/{a}"))).flatten())
                    })?;
                    writer_in(c.scope).map(|w| (c.line, c.stage, place, w))
                })
            };
            let Some((line, lit_stage, place, writer)) = literal.or_else(built) else {
                continue;
            };
            let stage = lit_stage.max(writer.stage);
            // Registry Run keys, Startup folders, launch agents and service units have no
            // place in a library; shell rc files and crontab have (completion installers).
            // Service managers (systemd, launchd, the Windows task scheduler) are how a
            // daemon's own `install-service` command works; called from a library they
            // are `medium` (issue 11).
            let system = !matches!(
                place,
                "~/.bashrc"
                    | "~/.zshrc"
                    | "~/.bash_profile"
                    | "~/.profile"
                    | "crontab"
                    | "cron"
                    | "macOS LaunchAgents"
                    | "macOS LaunchDaemons"
                    | "a systemd unit"
                    | "a systemd user unit"
                    | "a scheduled task"
            );
            let severity = match stage {
                Stage::Install | Stage::Import => Severity::High,
                Stage::Call if system => Severity::High,
                Stage::Call => Severity::Medium,
                Stage::Auxiliary => Severity::Low,
            };
            let message = format!("installs itself into {place} ({}() {})", writer.name, stage.describe());
            out.push(unit.finding(Self::META.id, severity, line, message).at(stage));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::testing::setup_py;

    #[test]
    fn fires_on() {
        let f = setup_py(
            &StartupPersistence,
            "import winreg\nk = winreg.OpenKey(winreg.HKEY_CURRENT_USER, r'Software\\Microsoft\\Windows\\CurrentVersion\\Run', 0, winreg.KEY_SET_VALUE)\nwinreg.SetValueEx(k, 'u', 0, winreg.REG_SZ, 'x.exe')\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::High));
        let f = setup_py(
            &StartupPersistence,
            "import os\nopen(os.path.expanduser('~/.bashrc'), 'a').write('x')\n",
        );
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn fires_on_paths_built_from_character_codes() {
        // Error (issue 11): the rc file's name never appears as a literal.
        let f = setup_py(
            &StartupPersistence,
            "import os\np = os.path.expanduser('~') + '/' + ''.join(map(chr, [46,112,114,111,102,105,108,101]))\nopen(p, 'a').write('python3 /tmp/m.py &')\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        let f = setup_py(
            &StartupPersistence,
            "import os\np = os.path.join(os.path.expanduser('~'), ''.join([chr(c) for c in [46,98,97,115,104,114,99]]))\nwith open(p, 'a') as f:\n    f.write('python3 /tmp/m.py &')\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn service_installers_called_by_the_user_are_a_note() {
        use crate::archive::Kind;
        use crate::inspect::testing::check;
        // A daemon's own `install_service()` writing a systemd unit: medium when called, high on import.
        let lib = "import os\ndef install_service():\n    with open('/etc/systemd/system/jtop.service', 'w') as f:\n        f.write(UNIT)\n    os.system('systemctl enable jtop')\n";
        let f = check(&StartupPersistence, Kind::Wheel, &[("pkg/service.py", lib)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Medium), "{f:?}");
        let f = check(
            &StartupPersistence,
            Kind::Wheel,
            &[("pkg/__init__.py", &format!("{lib}install_service()\n"))],
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        // A Windows Startup folder written when called stays high.
        let run = "import os\ndef persist(exe):\n    p = os.getenv('APPDATA') + '\\\\Microsoft\\\\Windows\\\\Start Menu\\\\Programs\\\\Startup\\\\u.bat'\n    open(p, 'w').write(exe)\n";
        let f = check(&StartupPersistence, Kind::Wheel, &[("pkg/util.py", run)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn quiet_on() {
        assert!(setup_py(&StartupPersistence, "print('add this line to ~/.bashrc')\n").is_empty());
        assert!(setup_py(&StartupPersistence, "open('README.md').read()\n").is_empty());
    }
}
