//! Decisions: the plan's verdicts plus the user's answers → [`Approved`].
//!
//! `allow` is approved; `deny` is refused (the policy's allow list already had
//! its say in the verdict); `review` is asked on a terminal (default No),
//! approved by `--yes`, and decided by the policy's `non_interactive` setting
//! when nobody can be asked. All or nothing: one refusal refuses the plan.
//! Non-TTY behaviour is decided here and nowhere else.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::inspect::Finding;
use crate::plan::{Plan, PlannedPackage};
use crate::policy::{Policy, Verdict};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot ask on the terminal: {0}")]
    Prompt(String),
}

/// How `review` items are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Ask on the terminal.
    Interactive,
    /// `--yes`: approve `review`, never `deny`.
    Yes,
    /// Nobody to ask: the policy's `non_interactive` verdict (`deny` or `allow`).
    NonInteractive(Verdict),
}

impl Mode {
    /// `--yes` wins; a terminal on stdin and stderr means interactive.
    pub fn detect(yes: bool, policy: &Policy) -> Mode {
        if yes {
            Mode::Yes
        } else if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            Mode::Interactive
        } else {
            Mode::NonInteractive(policy.non_interactive)
        }
    }
}

/// Asks one yes/no question; injected so tests can answer without a terminal.
pub trait Prompter {
    /// Shows `details`, then asks `question` with No as the default.
    fn confirm(&mut self, details: &str, question: &str) -> Result<bool, Error>;
}

/// The real prompt: dialoguer on stderr.
pub struct Terminal;

impl Prompter for Terminal {
    fn confirm(&mut self, details: &str, question: &str) -> Result<bool, Error> {
        eprint!("{details}");
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact_on(&dialoguer::console::Term::stderr())
            .map_err(|e| Error::Prompt(e.to_string()))
    }
}

/// What happened to one package, for the summary and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub name: String,
    pub version: String,
    pub filename: String,
    pub sha256: String,
    pub verdict: Verdict,
    pub approved: bool,
    /// `policy`, `prompt`, `--yes`, `non-interactive`, `not asked: …`.
    pub how: String,
}

/// One file cleared for pip: inspected, decided, with the hash it was inspected under.
#[derive(Debug, Clone)]
pub struct ApprovedFile {
    pub name: String,
    pub version: String,
    pub filename: String,
    pub path: PathBuf,
    pub sha256: String,
    pub build_dependency: bool,
    /// Named by the user as a file, URL or repository: pip gets it as
    /// `name @ file://…` rather than `name==version`.
    pub direct: bool,
}

/// Everything the handoff may give pip. Only this module constructs it.
#[derive(Debug)]
pub struct Approved {
    files: Vec<ApprovedFile>,
}

impl Approved {
    pub fn files(&self) -> &[ApprovedFile] {
        &self.files
    }

    /// The same approved files, all to be installed (build dependencies
    /// installed as such, for a build backend's private directory).
    pub fn as_runtime(&self) -> Approved {
        Approved {
            files: self
                .files
                .iter()
                .cloned()
                .map(|f| ApprovedFile {
                    build_dependency: false,
                    ..f
                })
                .collect(),
        }
    }

    /// Test-only constructor for the handoff's own tests.
    #[cfg(test)]
    pub(crate) fn for_tests(files: Vec<ApprovedFile>) -> Approved {
        Approved { files }
    }
}

pub enum Outcome {
    Install(Approved, Vec<Decision>),
    Refused(Vec<Decision>),
}

/// The findings that made the verdict, most severe first (at most `max`).
pub fn decisive(findings: &[Finding], max: usize) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = findings.iter().collect();
    v.sort_by_key(|f| std::cmp::Reverse(f.severity));
    v.truncate(max);
    v
}

fn details(p: &PlannedPackage) -> String {
    let mut out = format!(
        "\n{} {} ({}) needs review{}:\n",
        p.name,
        p.version,
        p.filename,
        if p.build_dependency { ", build dependency" } else { "" }
    );
    for f in decisive(&p.findings, 6) {
        crate::report::human::finding(&mut out, f, &crate::report::human::Style::plain(), "  ");
    }
    out
}

/// Decides every package of the plan. Review items are asked only when
/// nothing is denied (a deny refuses the plan anyway).
pub fn decide(plan: &Plan, mode: Mode, prompter: &mut dyn Prompter) -> Result<Outcome, Error> {
    let any_deny = plan.packages.iter().any(|p| p.verdict == Verdict::Deny);
    let mut decisions = Vec::new();
    for p in &plan.packages {
        let (approved, how) = match (p.verdict, mode) {
            (Verdict::Allow, _) => (true, "policy".to_string()),
            (Verdict::Deny, _) => (false, "policy".to_string()),
            (Verdict::Review, _) if any_deny => (false, "not asked: the plan has a denied package".to_string()),
            (Verdict::Review, Mode::Yes) => (true, "--yes".to_string()),
            (Verdict::Review, Mode::NonInteractive(v)) => (v == Verdict::Allow, "non-interactive".to_string()),
            (Verdict::Review, Mode::Interactive) => {
                let yes = prompter.confirm(&details(p), &format!("Install {} {}?", p.name, p.version))?;
                (yes, "prompt".to_string())
            }
        };
        decisions.push(Decision {
            name: p.name.clone(),
            version: p.version.clone(),
            filename: p.filename.clone(),
            sha256: p.sha256().to_string(),
            verdict: p.verdict,
            approved,
            how,
        });
    }
    if decisions.iter().all(|d| d.approved) {
        let files = plan
            .packages
            .iter()
            .map(|p| ApprovedFile {
                name: p.name.clone(),
                version: p.version.clone(),
                filename: p.filename.clone(),
                path: p.path().to_path_buf(),
                sha256: p.sha256().to_string(),
                build_dependency: p.build_dependency,
                direct: p.direct.is_some(),
            })
            .collect();
        Ok(Outcome::Install(Approved { files }, decisions))
    } else {
        Ok(Outcome::Refused(decisions))
    }
}

/// "Did you mean": decides a requested name that imitates a popular project,
/// before anything is downloaded. `verdict` is the policy's typosquat verdict.
pub fn decide_name(
    name: &str,
    message: &str,
    verdict: Verdict,
    mode: Mode,
    prompter: &mut dyn Prompter,
) -> Result<(bool, &'static str), Error> {
    if verdict == Verdict::Deny {
        return Ok((false, "policy"));
    }
    Ok(match mode {
        Mode::Yes => (true, "--yes"),
        Mode::NonInteractive(v) => (v == Verdict::Allow, "non-interactive"),
        Mode::Interactive => (
            prompter.confirm(&format!("\n{message}\n"), &format!("Install `{name}` anyway?"))?,
            "prompt",
        ),
    })
}

/// Whether a path is one the plan knows (used by tests).
pub fn contains(approved: &Approved, path: &Path) -> bool {
    approved.files.iter().any(|f| f.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Python;

    struct Scripted(Vec<bool>, usize);

    impl Prompter for Scripted {
        fn confirm(&mut self, details: &str, _question: &str) -> Result<bool, Error> {
            assert!(details.contains("needs review") || details.contains("imitates"));
            self.1 += 1;
            Ok(self.0.remove(0))
        }
    }

    fn pkg(name: &str, verdict: Verdict) -> PlannedPackage {
        PlannedPackage::for_tests(name, verdict)
    }

    fn plan(pkgs: Vec<PlannedPackage>) -> Plan {
        Plan::new(
            Python {
                executable: "python".into(),
                version: "3.11".into(),
            },
            pkgs,
            0.0,
        )
    }

    #[test]
    fn review_is_asked_and_answered() {
        let p = plan(vec![pkg("a", Verdict::Allow), pkg("b", Verdict::Review)]);
        let mut yes = Scripted(vec![true], 0);
        assert!(
            matches!(decide(&p, Mode::Interactive, &mut yes).unwrap(), Outcome::Install(a, _) if a.files().len() == 2)
        );
        let mut no = Scripted(vec![false], 0);
        let Outcome::Refused(d) = decide(&p, Mode::Interactive, &mut no).unwrap() else {
            panic!("refusal expected")
        };
        assert_eq!(d[1].how, "prompt");
        assert!(!d[1].approved);
    }

    #[test]
    fn yes_never_approves_deny_and_deny_skips_questions() {
        let p = plan(vec![pkg("a", Verdict::Deny), pkg("b", Verdict::Review)]);
        let mut never = Scripted(vec![], 0);
        assert!(matches!(
            decide(&p, Mode::Yes, &mut never).unwrap(),
            Outcome::Refused(_)
        ));
        assert!(matches!(
            decide(&p, Mode::Interactive, &mut never).unwrap(),
            Outcome::Refused(_)
        ));
        assert_eq!(never.1, 0);
    }

    #[test]
    fn non_interactive_follows_policy() {
        let p = plan(vec![pkg("b", Verdict::Review)]);
        let mut never = Scripted(vec![], 0);
        assert!(matches!(
            decide(&p, Mode::NonInteractive(Verdict::Deny), &mut never).unwrap(),
            Outcome::Refused(_)
        ));
        assert!(matches!(
            decide(&p, Mode::NonInteractive(Verdict::Allow), &mut never).unwrap(),
            Outcome::Install(..)
        ));
        assert!(matches!(
            decide(&p, Mode::Yes, &mut never).unwrap(),
            Outcome::Install(..)
        ));
    }

    #[test]
    fn names() {
        let mut never = Scripted(vec![], 0);
        assert_eq!(
            decide_name("x", "m", Verdict::Deny, Mode::Yes, &mut never).unwrap(),
            (false, "policy")
        );
        assert!(
            !decide_name(
                "x",
                "m",
                Verdict::Review,
                Mode::NonInteractive(Verdict::Deny),
                &mut never
            )
            .unwrap()
            .0
        );
        let mut yes = Scripted(vec![true], 0);
        assert!(
            decide_name("x", "`x` imitates", Verdict::Review, Mode::Interactive, &mut yes)
                .unwrap()
                .0
        );
    }
}
