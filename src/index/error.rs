//! Errors from the index client.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid index URL `{url}`: {message}")]
    InvalidUrl { url: String, message: String },
    #[error("cannot reach {url}{}{}", if *.connect { ": could not connect, are you offline?" } else { "" }, retried_note(*.attempts))]
    Network {
        url: String,
        /// The connection itself failed (DNS, refused, unreachable).
        connect: bool,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },
    #[error("TLS certificate problem talking to {url} (set SSL_CERT_FILE, PIP_CERT or --cert to your CA bundle)")]
    Tls {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered HTTP {status}{}", retried_note(*.attempts))]
    Status { url: String, status: u16, attempts: u32 },
    /// A 403 with a one-line text reason (`guard serve` refusing a file).
    #[error("{url} answered HTTP {status}: {reason}")]
    Refused { url: String, status: u16, reason: String },
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
    #[error("the response from {url} was cut short{}", retried_note(*.attempts))]
    Cut {
        url: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },
    #[error("timed out talking to {url} after {attempts} attempt(s)")]
    Timeout { url: String, attempts: u32 },
    #[error("cannot parse the index page {url}: {message}")]
    Parse {
        url: String,
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot load certificates from {path}: {message}")]
    Cert {
        path: PathBuf,
        message: String,
        #[source]
        source: Option<reqwest::Error>,
    },
    #[error("{path}:{line}: {message}")]
    Config {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

fn retried_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl Error {
    /// Turns a reqwest error into advice where possible (TLS, offline),
    /// keeping it as the source so `caused by:` shows every cause. URLs are
    /// taken out of the reqwest error (they may carry credentials); `url` is
    /// already redacted.
    pub fn from_reqwest(url: &str, err: reqwest::Error, attempts: u32) -> Error {
        let url = url.to_string();
        if err.is_timeout() {
            return Error::Timeout { url, attempts };
        }
        if err.is_redirect() {
            let message = std::error::Error::source(&err)
                .map(|e| e.to_string())
                .unwrap_or_else(|| err.to_string());
            return Error::Redirect { url, message };
        }
        let err = err.without_url();
        if err.is_body() || err.is_decode() {
            return Error::Cut {
                url,
                attempts,
                source: err,
            };
        }
        let lower = chain(&err).to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("unknownissuer") || lower.contains("tls") {
            return Error::Tls { url, source: err };
        }
        Error::Network {
            url,
            connect: err.is_connect(),
            attempts,
            source: err,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14: a network failure keeps its causes for `caused by:` lines.
    #[test]
    fn network_errors_keep_their_source_chain() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // A port nobody listens on: connection refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://user:secret@127.0.0.1:{port}/simple/");
        let err = rt.block_on(async { reqwest::get(&url).await.unwrap_err() });
        let err = Error::from_reqwest("http://127.0.0.1/simple/", err, 3);
        assert!(matches!(err, Error::Network { connect: true, .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "cannot reach http://127.0.0.1/simple/: could not connect, are you offline? (after 3 attempts)"
        );
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(&err);
        while let Some(e) = source {
            causes.push(e.to_string());
            source = e.source();
        }
        assert!(causes.len() >= 2, "{causes:?}");
        assert!(
            causes.iter().any(|c| c.to_ascii_lowercase().contains("refused")),
            "{causes:?}"
        );
        assert!(
            !causes.iter().any(|c| c.contains("secret")),
            "credentials leak: {causes:?}"
        );
    }
}
