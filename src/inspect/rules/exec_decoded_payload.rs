use std::collections::HashSet;

use super::vocab;
use crate::declare_rule;
use crate::inspect::python::Sink;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Flags `exec`/`eval`/`compile` of data that is decoded, decompressed,
    /// decrypted or unmarshalled first: base64, hex, zlib, `chr()` joins,
    /// reversed strings, Fernet, `marshal.loads`. guard decodes constant
    /// payloads itself and inspects the decoded code with every other rule.
    ///
    /// ## Why is this bad?
    /// Droppers hide their real code this way so that a reader sees only a
    /// blob. Honest install-time or import-time code has no need for it.
    ///
    /// ## Example
    /// ```python
    /// exec(base64.b64decode("aW1wb3J0IG9z..."))              # Error
    /// exec(Fernet(key).decrypt(token))                        # Error
    /// exec(open("pkg/_version.py").read())                    # No error: plain file read
    /// ```
    ///
    /// ## False positives
    /// Test fixtures that embed encoded sample code; severity drops for code
    /// that only runs when called and for tests/examples.
    ExecDecodedPayload, id = "exec-decoded-payload", severity = Critical,
    summary = "exec/eval of base64/zlib/hex/encrypted or marshalled data"
}

fn severity_for(stage: Stage) -> Severity {
    match stage {
        Stage::Install | Stage::Import => Severity::Critical,
        Stage::Call => Severity::High,
        Stage::Auxiliary => Severity::Medium,
    }
}

impl Rule for ExecDecodedPayload {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            let mut lines = HashSet::new();
            for p in &unit.code.payloads {
                if p.sink != Sink::Exec || p.steps.is_empty() || !lines.insert(p.line) {
                    continue;
                }
                let what = if p.code.is_some() { "code" } else { "data" };
                let message = format!(
                    "runs {what} decoded with {} ({} bytes) {}",
                    p.steps.join(" → "),
                    p.size,
                    p.stage.describe()
                );
                out.push(
                    unit.finding(Self::META.id, severity_for(p.stage), p.line, message)
                        .at(p.stage),
                );
            }
            for call in unit
                .code
                .calls
                .iter()
                .filter(|c| vocab::is_exec(&c.name) || vocab::is_shell(&c.name))
            {
                if lines.contains(&call.line) {
                    continue;
                }
                let Some(decoder) = call.arg_refs.iter().find(|r| vocab::is_decoder(r)) else {
                    continue;
                };
                lines.insert(call.line);
                let message = if vocab::is_exec(&call.name) {
                    format!(
                        "{}() of data passed through {decoder}() {}",
                        call.name,
                        call.stage.describe()
                    )
                } else {
                    format!(
                        "{}() runs data passed through {decoder}() in a new process {}",
                        call.name,
                        call.stage.describe()
                    )
                };
                // What is decoded here was not in the artifact (guard would have decoded
                // it above): in a library function it is the caller's data, a plugin
                // protocol's or a cache's, and the call alone is a note (issue 11).
                let severity = match call.stage {
                    Stage::Call => Severity::Medium,
                    stage => severity_for(stage),
                };
                out.push(unit.finding(Self::META.id, severity, call.line, message).at(call.stage));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::testing::{check, setup_py};

    #[test]
    fn fires_on() {
        // Error: constant payload, decoded by guard.
        let f = setup_py(
            &ExecDecodedPayload,
            "import base64\nexec(base64.b64decode('aW1wb3J0IG9zOyBvcy5zeXN0ZW0oImlkIik='))\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Critical);
        assert!(f[0].message.contains("base64"), "{}", f[0].message);
        // Error (issue 11): the decoded data reaches exec through a variable.
        let f = setup_py(
            &ExecDecodedPayload,
            "import base64\nx = base64.b64decode('aW1wb3J0IG9zOyBvcy5zeXN0ZW0oImlkIik=')\nexec(x)\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Critical);
        // Error (issue 11): reassigned from itself, decoder by decoder.
        let f = setup_py(
            &ExecDecodedPayload,
            "import base64, zlib\nZ = 'eJzLzC3ILypRyC+2zi/WK64sLknN1VDKTFHSBAB9Wwjw'\nZ = base64.b64decode(Z)\nZ = zlib.decompress(Z)\nexec(Z)\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Critical);
        // Error: encrypted payload, not decodable statically.
        let f = setup_py(
            &ExecDecodedPayload,
            "from fernet import Fernet\nexec(Fernet(b'k').decrypt(b'gAAAA'))\n",
        );
        assert_eq!(f.len(), 1);
        // Error: decoded code run in a new interpreter.
        let f = setup_py(&ExecDecodedPayload, "import base64, subprocess\nclass I:\n    def run(self):\n        subprocess.Popen(['python', '-c', base64.b64decode(msg).decode()])\n");
        assert_eq!(f.len(), 1, "{f:?}");
        // Error: a lambda helper that unmarshals.
        let f = setup_py(
            &ExecDecodedPayload,
            "import marshal, zlib\nv = lambda x: marshal.loads(zlib.decompress(x))\nexec(v(blob))\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        // Error: aliased builtins and marshal.
        let f = setup_py(
            &ExecDecodedPayload,
            "import marshal as m, builtins as b\nb.exec(m.loads(b'\\xe3'))\n",
        );
        assert_eq!(f.len(), 1);
        // Error: lower severity inside a function of a library module.
        let f = check(
            &ExecDecodedPayload,
            crate::archive::Kind::Wheel,
            &[(
                "pkg/mod.py",
                "import base64\ndef f():\n    exec(base64.b64decode('cHJpbnQoMSkgIyBwYWRkaW5n'))\n",
            )],
        );
        assert_eq!(f[0].severity, Severity::High);
    }

    #[test]
    fn quiet_on() {
        // No error: setup.py reading its own version file.
        assert!(setup_py(&ExecDecodedPayload, "exec(open('pkg/_version.py').read())\n").is_empty());
        // No error: decoding without executing.
        assert!(setup_py(
            &ExecDecodedPayload,
            "import base64\nlogo = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAA')\n"
        )
        .is_empty());
        // No error: a subprocess with plain arguments.
        assert!(setup_py(
            &ExecDecodedPayload,
            "import subprocess\nsubprocess.check_call(['git', 'rev-parse', 'HEAD'])\n"
        )
        .is_empty());
        // No error: compile of a source file.
        assert!(setup_py(&ExecDecodedPayload, "code = compile(src, 'x.py', 'exec')\n").is_empty());
        // A note (issue 11): a code generator running the config its caller passed in,
        // base64-encoded for transport; the same at import time stays critical.
        let src = "import base64\ndef load(encoded, ns):\n    exec(base64.b64decode(encoded).decode(), ns)\n";
        let f = check(&ExecDecodedPayload, crate::archive::Kind::Wheel, &[("pkg/gen.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Medium), "{f:?}");
        let src = "import base64, os\nexec(base64.b64decode(os.environ['CFG']).decode())\n";
        let f = check(
            &ExecDecodedPayload,
            crate::archive::Kind::Wheel,
            &[("pkg/__init__.py", src)],
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
    }
}
