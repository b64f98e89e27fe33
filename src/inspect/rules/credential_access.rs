use std::collections::BTreeSet;

use super::vocab::{self, Secret};
use crate::declare_rule;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Finds code that points at stores of other programs' secrets: browser
    /// password and cookie databases, Discord token storage, cryptocurrency
    /// wallets, Telegram/Steam sessions, SSH keys and cloud/package-index tokens.
    ///
    /// ## Why is this bad?
    /// A Python library has no reason to open Chrome's `Login Data` or
    /// Discord's `leveldb`. Info-stealers do exactly that; the `exfiltration`
    /// rule reports when the same code also sends data out.
    ///
    /// ## Example
    /// ```python
    /// path = os.getenv("LOCALAPPDATA") + r"\Google\Chrome\User Data\Default\Login Data"  # Error
    /// key = paramiko.RSAKey.from_private_key_file(os.path.expanduser("~/.ssh/id_rsa"))   # Low
    /// ```
    ///
    /// ## False positives
    /// SSH, cloud and packaging tools read their own credential files: that
    /// category alone is `low`. Browser automation tools may name profile folders.
    CredentialAccess, id = "credential-access", severity = High,
    summary = "reads browser, Discord, wallet, messenger or credential stores"
}

impl Rule for CredentialAccess {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            let hits: Vec<(Secret, u32, Stage)> = unit
                .code
                .strings
                .iter()
                .filter_map(|l| vocab::secret_kind(&l.value).map(|k| (k, l.line, l.stage)))
                .collect();
            let Some(&(_, line, _)) = hits.first() else { continue };
            let kinds: BTreeSet<Secret> = hits.iter().map(|h| h.0).collect();
            let stealer_kinds = kinds.iter().filter(|k| **k != Secret::Credentials).count();
            let install = hits.iter().any(|h| h.2 == Stage::Install);
            let aux = hits.iter().all(|h| h.2 == Stage::Auxiliary);
            let severity = if aux {
                Severity::Low
            } else if stealer_kinds >= 2 || (stealer_kinds == 1 && (install || unit.is_payload())) {
                Severity::High
            } else if stealer_kinds == 1 || install {
                Severity::Medium
            } else {
                Severity::Low
            };
            let what = kinds.iter().map(|k| k.describe()).collect::<Vec<_>>().join(", ");
            out.push(unit.finding(Self::META.id, severity, line, format!("locates {what}")));
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
        let src = "import os\nA = os.getenv('LOCALAPPDATA') + '\\\\Google\\\\Chrome\\\\User Data\\\\Default\\\\Login Data'\nB = os.getenv('APPDATA') + '\\\\discord\\\\Local Storage\\\\leveldb'\n";
        let f = check(&CredentialAccess, Kind::Wheel, &[("pkg/util.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High));
    }

    #[test]
    fn quiet_on() {
        let f = check(
            &CredentialAccess,
            Kind::Wheel,
            &[(
                "pkg/ssh.py",
                "import os\ndef k():\n    return os.path.expanduser('~/.ssh/id_rsa')\n",
            )],
        );
        assert!(f.iter().all(|f| f.severity == Severity::Low));
        assert!(check(
            &CredentialAccess,
            Kind::Wheel,
            &[("pkg/x.py", "COOKIE_NAME = 'session'\n")]
        )
        .is_empty());
    }
}
