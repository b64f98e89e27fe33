//! Errors from the index client.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid index URL `{url}`: {message}")]
    InvalidUrl { url: String, message: String },
    #[error("cannot reach {url}: {message}")]
    Network { url: String, message: String },
    #[error(
        "TLS certificate problem talking to {url}: {message} (set SSL_CERT_FILE, PIP_CERT or --cert to your CA bundle)"
    )]
    Tls { url: String, message: String },
    #[error("{url} answered HTTP {status}{}", retried_note(*.attempts))]
    Status { url: String, status: u16, attempts: u32 },
    #[error(
        "{url} answered HTTP {status} and asks to retry after {asked} s; guard waits at most {limit} s (try again later)"
    )]
    RetryAfter {
        url: String,
        status: u16,
        asked: u64,
        limit: u64,
    },
    #[error("{url}: {what} within the {seconds:.1} s deadline (10 × --timeout); giving up")]
    Deadline {
        url: String,
        seconds: f64,
        what: &'static str,
    },
    #[error("{url} is larger than guard's limit of {limit_mib} MiB for an index page; refusing to read more")]
    TooLarge { url: String, limit_mib: u64 },
    #[error("{url}: {message}")]
    Redirect { url: String, message: String },
    #[error("the response from {url} was cut short: {message}")]
    Cut { url: String, message: String },
    #[error("timed out talking to {url} after {attempts} attempt(s)")]
    Timeout { url: String, attempts: u32 },
    #[error("cannot parse the index page {url}: {message}")]
    Parse { url: String, message: String },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot load certificates from {path}: {message}")]
    Cert { path: PathBuf, message: String },
    #[error("{path}:{line}: {message}")]
    Config {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

fn retried_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl Error {
    /// Turns a reqwest error into advice where possible (TLS, offline).
    pub fn from_reqwest(url: &str, err: &reqwest::Error, attempts: u32) -> Error {
        if err.is_timeout() {
            return Error::Timeout {
                url: url.to_string(),
                attempts,
            };
        }
        if err.is_redirect() {
            let message = std::error::Error::source(err)
                .map(|e| e.to_string())
                .unwrap_or_else(|| err.to_string());
            return Error::Redirect {
                url: url.to_string(),
                message,
            };
        }
        let chain = chain(err);
        if err.is_body() || err.is_decode() {
            return Error::Cut {
                url: url.to_string(),
                message: with_attempts(innermost(err), attempts),
            };
        }
        let lower = chain.to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("unknownissuer") || lower.contains("tls") {
            return Error::Tls {
                url: url.to_string(),
                message: chain,
            };
        }
        let message = if err.is_connect() {
            format!("could not connect, are you offline? ({chain})")
        } else {
            chain
        };
        Error::Network {
            url: url.to_string(),
            message: with_attempts(message, attempts),
        }
    }
}

fn with_attempts(message: String, attempts: u32) -> String {
    if attempts > 1 {
        format!("{message} (after {attempts} attempts)")
    } else {
        message
    }
}

/// The error and its causes, `: `-separated.
fn chain(err: &reqwest::Error) -> String {
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        if !chain.is_empty() {
            chain.push_str(": ");
        }
        chain.push_str(&e.to_string());
        source = e.source();
    }
    chain
}

/// The innermost cause (`Connection reset by peer`, `end of file before message length reached`).
pub fn innermost(err: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = err;
    while let Some(e) = last.source() {
        last = e;
    }
    last.to_string()
}
