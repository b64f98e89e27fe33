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
        let mut chain = String::new();
        let mut source: Option<&dyn std::error::Error> = Some(err);
        while let Some(e) = source {
            if !chain.is_empty() {
                chain.push_str(": ");
            }
            chain.push_str(&e.to_string());
            source = e.source();
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
            message: if attempts > 1 {
                format!("{message} (after {attempts} attempts)")
            } else {
                message
            },
        }
    }
}
