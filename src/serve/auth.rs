//! Tokens: who may download, review and administer. A token is presented as
//! `Authorization: Bearer TOKEN`, or as HTTP basic auth whose password (or,
//! with no password, user name) is the token: pip and uv send that for
//! `https://user:TOKEN@host/simple/`. Secrets are compared in constant time
//! and never logged.

use base64::Engine;
use hyper::header::HeaderValue;

pub use crate::policy::serve::{Downloads, Scope};

/// A token with its secret read (see `commands/serve.rs`).
pub struct Token {
    pub name: String,
    pub secret: String,
    pub scope: Scope,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token({}, {}, ****)", self.name, self.scope.as_str())
    }
}

/// Who may do what.
#[derive(Debug, Default)]
pub struct Access {
    pub downloads: Downloads,
    pub tokens: Vec<Token>,
}

/// Why a request is refused (401: no or unknown token; 403: too weak).
#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    Missing,
    Unknown,
    Scope { token: String, needs: Scope },
}

impl Denied {
    pub fn message(&self) -> String {
        match self {
            Denied::Missing => "guard serve: a token is required (Authorization: Bearer TOKEN, or the index URL https://user:TOKEN@host/simple/)".into(),
            Denied::Unknown => "guard serve: the token presented is not valid".into(),
            Denied::Scope { token, needs } => format!(
                "guard serve: token `{token}` may not do this (needs scope `{}`)",
                needs.as_str()
            ),
        }
    }

    pub fn unauthorized(&self) -> bool {
        !matches!(self, Denied::Scope { .. })
    }
}

fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The secrets an `Authorization` header offers.
fn offered(header: &HeaderValue) -> Vec<String> {
    let Ok(h) = header.to_str() else {
        return Vec::new();
    };
    let (kind, rest) = h.trim().split_once(' ').unwrap_or((h, ""));
    if kind.eq_ignore_ascii_case("bearer") {
        return vec![rest.trim().to_string()];
    }
    if kind.eq_ignore_ascii_case("basic") {
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(rest.trim()) else {
            return Vec::new();
        };
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (user, pass) = text.split_once(':').unwrap_or((&text, ""));
        return if pass.is_empty() {
            vec![user.to_string()]
        } else {
            vec![pass.to_string()]
        };
    }
    Vec::new()
}

impl Access {
    /// The token a request carries, if it carries a valid one. Every token is
    /// compared, so the time taken does not tell which one nearly matched.
    pub fn token(&self, header: Option<&HeaderValue>) -> Result<Option<&Token>, Denied> {
        let Some(header) = header else {
            return Ok(None);
        };
        let offered = offered(header);
        let mut found = None;
        for t in &self.tokens {
            for o in &offered {
                if same(o.as_bytes(), t.secret.as_bytes()) && found.is_none() {
                    found = Some(t);
                }
            }
        }
        match found {
            Some(t) => Ok(Some(t)),
            None => Err(Denied::Unknown),
        }
    }

    /// Checks a request needing `needs` (`None`: a download).
    pub fn check(&self, header: Option<&HeaderValue>, needs: Option<Scope>) -> Result<Option<&Token>, Denied> {
        // A wrong token is refused even where none is needed: it is a mistake worth seeing.
        let token = self.token(header)?;
        let needs = match needs {
            Some(s) => s,
            None if self.downloads == Downloads::Anonymous => return Ok(token),
            None => Scope::Download,
        };
        match token {
            None => Err(Denied::Missing),
            Some(t) if t.scope >= needs => Ok(Some(t)),
            Some(t) => Err(Denied::Scope {
                token: t.name.clone(),
                needs,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(downloads: Downloads) -> Access {
        Access {
            downloads,
            tokens: vec![
                Token {
                    name: "ci".into(),
                    secret: "dl-secret".into(),
                    scope: Scope::Download,
                },
                Token {
                    name: "alice".into(),
                    secret: "rv-secret".into(),
                    scope: Scope::Review,
                },
            ],
        }
    }

    fn basic(user: &str, pass: &str) -> HeaderValue {
        let b = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        HeaderValue::from_str(&format!("Basic {b}")).unwrap()
    }

    #[test]
    fn scopes_and_schemes() {
        let a = access(Downloads::Token);
        assert_eq!(a.check(None, None).unwrap_err(), Denied::Missing);
        let bearer = HeaderValue::from_static("Bearer dl-secret");
        assert_eq!(a.check(Some(&bearer), None).unwrap().unwrap().name, "ci");
        assert!(matches!(
            a.check(Some(&bearer), Some(Scope::Review)),
            Err(Denied::Scope { .. })
        ));
        let b = basic("__token__", "rv-secret");
        assert_eq!(a.check(Some(&b), Some(Scope::Review)).unwrap().unwrap().name, "alice");
        assert_eq!(
            a.check(Some(&basic("rv-secret", "")), None).unwrap().unwrap().name,
            "alice"
        );
        assert!(matches!(
            a.check(Some(&b), Some(Scope::Admin)),
            Err(Denied::Scope { .. })
        ));
        let wrong = HeaderValue::from_static("Bearer dl-secreT");
        assert_eq!(a.check(Some(&wrong), None).unwrap_err(), Denied::Unknown);
        let anon = access(Downloads::Anonymous);
        assert!(anon.check(None, None).unwrap().is_none());
        assert_eq!(anon.check(None, Some(Scope::Review)).unwrap_err(), Denied::Missing);
        assert!(!format!("{:?}", anon.tokens[0]).contains("secret"));
    }
}
