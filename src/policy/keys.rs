//! Every policy key in one table: name, type, default, whether the system
//! file can lock it, what counts as loosening it, and what it does.
//!
//! The table drives parsing (known keys per section, value types, messages),
//! layering and locking (`apply`), `guard policy check` (which validates with
//! it), the `lockable keys` lists in messages, and the test that
//! `policy.example.toml` documents every key with its default. A key's name is
//! written once, here.
//!
//! A section parsed in its own module (the `[serve]` section of
//! `policy/serve.rs`) registers as one entry here: a `Kind` variant whose
//! `parse` calls into that module, a `Val` variant for what it returns, and an
//! `apply` that stores it in its `Policy` field. See "sections parsed
//! elsewhere" in [`KEYS`].

use std::collections::BTreeMap;

use super::config::{AllowEntry, Checker, DenyEntry, Policy, Sdist, Value};
use super::Verdict;
use crate::cli::Installer;
use crate::inspect::{rules, Severity};

/// What a key holds; decides how it is parsed and what the example shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `low`, `medium`, `high` or `critical`.
    Severity,
    Bool,
    /// `review` or `deny`.
    TyposquatVerdict,
    /// `deny` or `allow`.
    NonInteractive,
    /// `allow` or `review`.
    Sdist,
    /// `pip` or `uv`.
    Installer,
    /// `48h`, `7d`, `2w`, or a number of days.
    Duration,
    /// An array of host names (compared case-insensitively).
    Hosts,
    /// An array of rule ids.
    RuleIds,
    /// A table of rule id → severity.
    RuleSeverities,
    /// `[[allow]]` entries.
    Allow,
    /// `[[deny]]` entries.
    Deny,
    /// An array of lockable key names (honoured in the system file only).
    Locked,
    /// The `[serve]` section, parsed by `policy/serve.rs`.
    Serve,
}

impl Kind {
    /// The type as the docs name it.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Severity => "low, medium, high or critical",
            Kind::Bool => "true or false",
            Kind::TyposquatVerdict => "review or deny",
            Kind::NonInteractive => "deny or allow",
            Kind::Sdist => "allow or review",
            Kind::Installer => "pip or uv",
            Kind::Duration => "a duration (48h, 7d, 2w) or a number of days",
            Kind::Hosts => "array of host names",
            Kind::RuleIds => "array of rule ids",
            Kind::RuleSeverities => "table of rule id = severity",
            Kind::Allow => "array of tables [[allow]] (name, reason; version, sha256, expires)",
            Kind::Deny => "array of tables [[deny]] (name; version, reason)",
            Kind::Locked => "array of lockable key names",
            Kind::Serve => "table [serve] (see policy/serve.rs)",
        }
    }

    /// Parses `v`, the value of key `name`, reporting mistakes to `c`.
    fn parse(self, c: &mut Checker<'_>, v: &Value<'_>, name: &str) -> Option<Val> {
        Some(match self {
            Kind::Serve => match super::serve::parse(v) {
                Ok(s) => Val::Serve(Box::new(s)),
                Err(mistakes) => {
                    for (at, message) in mistakes {
                        c.error(at, message);
                    }
                    return None;
                }
            },
            Kind::Severity => Val::Severity(c.severity(v, name)?),
            Kind::Bool => Val::Bool(c.bool(v, name)?),
            Kind::TyposquatVerdict => {
                Val::Verdict(c.choice(v, name, &[("review", Verdict::Review), ("deny", Verdict::Deny)])?)
            }
            Kind::NonInteractive => {
                Val::Verdict(c.choice(v, name, &[("deny", Verdict::Deny), ("allow", Verdict::Allow)])?)
            }
            Kind::Sdist => Val::Sdist(c.choice(v, name, &[("allow", Sdist::Allow), ("review", Sdist::Review)])?),
            Kind::Installer => Val::Installer(c.choice(v, name, &[("pip", Installer::Pip), ("uv", Installer::Uv)])?),
            Kind::Duration => Val::Hours(c.age(v, name)?),
            Kind::Hosts => Val::Strings(
                c.strings(v, name)
                    .into_iter()
                    .map(|(h, _)| h.to_ascii_lowercase())
                    .collect(),
            ),
            Kind::RuleIds => Val::Strings(
                c.strings(v, name)
                    .into_iter()
                    .map(|(id, at)| {
                        c.rule_id(&id, at);
                        id
                    })
                    .collect(),
            ),
            Kind::RuleSeverities => {
                let t = c.table(v, name)?;
                let mut map = BTreeMap::new();
                for (k, v) in t.iter() {
                    c.rule_id(k.get_ref(), k.span().start);
                    if let Some(sev) = c.severity(v, name) {
                        map.insert(k.get_ref().to_string(), sev);
                    }
                }
                Val::Severities(map)
            }
            Kind::Allow => Val::Allow(
                c.entries(v, name)
                    .into_iter()
                    .filter_map(|item| c.allow_entry(item))
                    .collect(),
            ),
            Kind::Deny => Val::Deny(
                c.entries(v, name)
                    .into_iter()
                    .filter_map(|item| c.deny_entry(item))
                    .collect(),
            ),
            Kind::Locked => {
                let mut keys = Vec::new();
                for (key, at) in c.strings(v, name) {
                    if !lockable().any(|k| k == key) {
                        c.error(
                            at,
                            format!(
                                "`{key}` cannot be locked (lockable keys: {})",
                                lockable().collect::<Vec<_>>().join(", ")
                            ),
                        );
                    } else {
                        keys.push(key);
                    }
                }
                // Locks are honoured in the system file only.
                if !c.system {
                    return None;
                }
                Val::Strings(keys)
            }
        })
    }
}

/// One file's value for one key.
#[derive(Debug)]
pub(super) enum Val {
    Severity(Severity),
    Bool(bool),
    Verdict(Verdict),
    Sdist(Sdist),
    Installer(Installer),
    Hours(u64),
    Strings(Vec<String>),
    Severities(BTreeMap<String, Severity>),
    Allow(Vec<AllowEntry>),
    Deny(Vec<DenyEntry>),
    Serve(Box<super::serve::ServePolicy>),
}

macro_rules! take {
    ($($f:ident: $var:ident => $t:ty),* $(,)?) => {
        impl Val {
            $(
                /// The value; `Kind::parse` made it from this key's kind.
                fn $f(self) -> $t {
                    match self {
                        Val::$var(x) => x,
                        other => unreachable!("{} expected, parsed {other:?}", stringify!($var)),
                    }
                }
            )*
        }
    };
}

take! {
    severity: Severity => Severity,
    bool: Bool => bool,
    verdict: Verdict => Verdict,
    sdist: Sdist => Sdist,
    installer: Installer => Installer,
    hours: Hours => u64,
    strings: Strings => Vec<String>,
    severities: Severities => BTreeMap<String, Severity>,
    allow: Allow => Vec<AllowEntry>,
    deny: Deny => Vec<DenyEntry>,
    serve: Serve => Box<super::serve::ServePolicy>,
}

/// One policy key.
pub struct Key {
    /// `section.key`, or `key` at the root (`allow`, `deny`, `locked`).
    pub name: &'static str,
    pub kind: Kind,
    /// The default as `policy.example.toml` writes it; `None` when the
    /// example shows only a commented-out entry (`[[allow]]`, `[[deny]]`).
    pub default: Option<&'static str>,
    /// Whether the system file can list it in `locked`.
    pub lockable: bool,
    /// What a user or project file may not do to a locked key.
    pub loosening: &'static str,
    pub doc: &'static str,
    /// Sets the value over `p`; `locked` says the key is locked. Returns
    /// false when (part of) the value was ignored as a loosening.
    apply: fn(p: &mut Policy, v: Val, locked: bool) -> bool,
}

impl Key {
    /// The key whose lock governs this one: `[serve]`'s `trusted_indexes`
    /// is a broad allow, so `serve` follows `allow`.
    pub fn lock(&self) -> &'static str {
        match self.kind {
            Kind::Serve => "allow",
            _ => self.name,
        }
    }

    /// The section (`verdict`) or, for a root key, the key itself.
    pub fn section(&self) -> &'static str {
        self.name.split_once('.').map_or(self.name, |(s, _)| s)
    }

    /// The key inside its section, or `None` for a root key.
    pub fn field(&self) -> Option<&'static str> {
        self.name.split_once('.').map(|(_, k)| k)
    }
}

/// Sets `slot` unless the key is locked and `looser(new, current)`.
fn tighten<T>(slot: &mut T, new: T, locked: bool, looser: fn(&T, &T) -> bool) -> bool {
    if locked && looser(&new, slot) {
        return false;
    }
    *slot = new;
    true
}

/// Every key, in the order sections, messages and `apply` use. `locked` is
/// last so a system file's own values are not held to its own locks.
pub const KEYS: &[Key] = &[
    Key {
        name: "verdict.deny_at",
        kind: Kind::Severity,
        default: Some("\"critical\""),
        lockable: true,
        loosening: "a higher severity",
        doc: "Findings at or above this severity make an artifact `deny`.",
        apply: |p, v, locked| tighten(&mut p.deny_at, v.severity(), locked, |new, cur| new > cur),
    },
    Key {
        name: "verdict.review_at",
        kind: Kind::Severity,
        default: Some("\"high\""),
        lockable: true,
        loosening: "a higher severity",
        doc: "Findings at or above this severity make an artifact `review`.",
        apply: |p, v, locked| tighten(&mut p.review_at, v.severity(), locked, |new, cur| new > cur),
    },
    Key {
        name: "verdict.combine",
        kind: Kind::Bool,
        default: Some("true"),
        lockable: true,
        loosening: "false when it was true",
        doc: "Two `high` rules make `deny`, three `medium` rules make `review`.",
        apply: |p, v, locked| tighten(&mut p.combine, v.bool(), locked, |new, cur| !*new && *cur),
    },
    Key {
        name: "rules.disable",
        kind: Kind::RuleIds,
        default: Some("[]"),
        lockable: true,
        loosening: "any rule disabled",
        doc: "Rules switched off entirely.",
        apply: |p, v, locked| {
            let ids = v.strings();
            if locked && !ids.is_empty() {
                return false;
            }
            for id in ids {
                if !p.disabled.contains(&id) {
                    p.disabled.push(id);
                }
            }
            true
        },
    },
    Key {
        name: "rules.severity",
        kind: Kind::RuleSeverities,
        default: Some("{}"),
        lockable: true,
        loosening: "a rule's severity lowered below the current or built-in one",
        doc: "Per-rule severity overrides.",
        apply: |p, v, locked| {
            let mut kept = true;
            for (id, sev) in v.severities() {
                let current = p.severity.get(&id).copied();
                let default = rules::all_meta().iter().find(|m| m.id == id).map(|m| m.severity);
                let base = current.or(default).unwrap_or(Severity::Low);
                if locked && sev < base {
                    kept = false;
                } else {
                    p.severity.insert(id, sev);
                }
            }
            kept
        },
    },
    Key {
        name: "allow",
        kind: Kind::Allow,
        default: None,
        lockable: true,
        loosening: "any allow entry",
        doc: "Packages always allowed, whatever their findings; each needs a reason.",
        apply: |p, v, locked| {
            let entries = v.allow();
            if locked && !entries.is_empty() {
                return false;
            }
            p.allow.extend(entries);
            true
        },
    },
    Key {
        name: "deny",
        kind: Kind::Deny,
        default: None,
        lockable: false,
        loosening: "nothing: deny entries only tighten",
        doc: "Packages always denied.",
        apply: |p, v, _| {
            p.deny.extend(v.deny());
            true
        },
    },
    Key {
        name: "typosquat.enabled",
        kind: Kind::Bool,
        default: Some("true"),
        lockable: true,
        loosening: "false when it was true",
        doc: "Check requested names against popular projects before downloading.",
        apply: |p, v, locked| tighten(&mut p.typosquat.enabled, v.bool(), locked, |new, cur| !*new && *cur),
    },
    Key {
        name: "typosquat.verdict",
        kind: Kind::TyposquatVerdict,
        default: Some("\"review\""),
        lockable: true,
        loosening: "review when it was deny",
        doc: "What a requested name imitating a popular project becomes.",
        apply: |p, v, locked| tighten(&mut p.typosquat.verdict, v.verdict(), locked, |new, cur| new < cur),
    },
    Key {
        name: "install.min_release_age",
        kind: Kind::Duration,
        default: Some("\"0d\""),
        lockable: true,
        loosening: "a shorter age",
        doc: "Releases younger than this need review (0: off).",
        apply: |p, v, locked| tighten(&mut p.min_release_age_hours, v.hours(), locked, |new, cur| new < cur),
    },
    Key {
        name: "install.sdist",
        kind: Kind::Sdist,
        default: Some("\"allow\""),
        lockable: true,
        loosening: "allow when it was review",
        doc: "Whether every source distribution needs review.",
        apply: |p, v, locked| {
            tighten(&mut p.sdist, v.sdist(), locked, |new, cur| {
                *new == Sdist::Allow && *cur == Sdist::Review
            })
        },
    },
    Key {
        name: "install.index_hosts",
        kind: Kind::Hosts,
        default: Some("[]"),
        lockable: true,
        loosening: "a host the locked list does not have (the list is narrowed to the common hosts)",
        doc: "Hosts guard may fetch indexes and --find-links pages from (empty: any).",
        apply: |p, v, locked| {
            let hosts = v.strings();
            if !locked || p.index_hosts.is_empty() {
                p.index_hosts = hosts;
                return true;
            }
            // Only a narrowing is accepted: keep hosts the system also allows.
            let narrowed: Vec<String> = hosts
                .into_iter()
                .filter(|h| p.index_hosts.iter().any(|s| s.eq_ignore_ascii_case(h)))
                .collect();
            if narrowed.is_empty() {
                return false;
            }
            p.index_hosts = narrowed;
            true
        },
    },
    Key {
        name: "install.non_interactive",
        kind: Kind::NonInteractive,
        default: Some("\"deny\""),
        lockable: true,
        loosening: "allow when it was deny",
        doc: "What a `review` item means when nobody can be asked.",
        apply: |p, v, locked| tighten(&mut p.non_interactive, v.verdict(), locked, |new, cur| new < cur),
    },
    Key {
        name: "install.installer",
        kind: Kind::Installer,
        default: Some("\"pip\""),
        lockable: false,
        loosening: "nothing: both installers get the same hash-pinned files",
        doc: "Who installs the approved files.",
        apply: |p, v, _| {
            p.installer = v.installer();
            true
        },
    },
    // Sections parsed elsewhere register here, before `locked`.
    Key {
        name: "serve",
        kind: Kind::Serve,
        default: None,
        lockable: false,
        loosening: "trusted_indexes is locked with `allow`: a different list when `allow` is locked",
        doc: "`guard serve`'s upstreams, pins, downloads and tokens, and the indexes whose verdicts `guard install` trusts (policy/serve.rs).",
        apply: |p, v, allow_locked| {
            let mut v = *v.serve();
            let kept = !(allow_locked && v.trusted_indexes != p.serve.trusted_indexes);
            if !kept {
                v.trusted_indexes = p.serve.trusted_indexes.clone();
            }
            p.serve = v;
            kept
        },
    },
    Key {
        name: "locked",
        kind: Kind::Locked,
        default: Some("[]"),
        lockable: false,
        loosening: "nothing: honoured in the system file only",
        doc: "Keys that user and project files may tighten but never loosen.",
        apply: |p, v, _| {
            p.locked.extend(v.strings());
            true
        },
    },
];

/// Keys the system file can lock, in table order.
pub fn lockable() -> impl Iterator<Item = &'static str> {
    KEYS.iter().filter(|k| k.lockable).map(|k| k.name)
}

/// The top-level names of the policy file, in table order.
pub(super) fn roots() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for k in KEYS {
        if !out.contains(&k.section()) {
            out.push(k.section());
        }
    }
    out
}

/// One file's values, by position in [`KEYS`].
#[derive(Debug, Default)]
pub(super) struct Layer {
    values: BTreeMap<usize, Val>,
}

impl Layer {
    /// Parses the keys of the policy's root table into a layer.
    pub(super) fn check(c: &mut Checker<'_>, root: &super::config::Table<'_>) -> Layer {
        let mut layer = Layer::default();
        c.keys(root, "", &roots());
        for section in roots() {
            let Some(v) = root.get(section) else { continue };
            let keys: Vec<(usize, &Key)> = KEYS
                .iter()
                .enumerate()
                .filter(|(_, k)| k.section() == section)
                .collect();
            if let [(i, key)] = keys[..] {
                if key.field().is_none() {
                    if let Some(val) = key.kind.parse(c, v, key.name) {
                        layer.values.insert(i, val);
                    }
                    continue;
                }
            }
            let Some(t) = c.table(v, section) else { continue };
            let fields: Vec<&str> = keys.iter().filter_map(|(_, k)| k.field()).collect();
            c.keys(t, section, &fields);
            for (i, key) in keys {
                let Some(v) = key.field().and_then(|f| t.get(f)) else {
                    continue;
                };
                if let Some(val) = key.kind.parse(c, v, key.name) {
                    layer.values.insert(i, val);
                }
            }
        }
        layer
    }

    /// Applies this layer over `p`; keys `p` has locked may only be
    /// tightened. Returns the keys whose loosening was ignored, in table order.
    pub(super) fn apply_to(self, p: &mut Policy) -> Vec<&'static str> {
        let mut ignored = Vec::new();
        for (i, v) in self.values {
            let key = &KEYS[i];
            let locked = p.locked.contains(key.lock());
            if !(key.apply)(p, v, locked) {
                ignored.push(key.lock());
            }
        }
        ignored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_sections_contiguous() {
        let mut seen = std::collections::BTreeSet::new();
        let mut sections: Vec<&str> = Vec::new();
        for k in KEYS {
            assert!(seen.insert(k.name), "{} twice", k.name);
            if sections.last() != Some(&k.section()) {
                assert!(!sections.contains(&k.section()), "section {} split", k.section());
                sections.push(k.section());
            }
            assert!(!k.doc.is_empty() && !k.loosening.is_empty(), "{} undocumented", k.name);
        }
        assert_eq!(KEYS.last().map(|k| k.name), Some("locked"), "locks apply last");
    }
}
