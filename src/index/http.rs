//! The HTTP client: TLS through the system store plus `--cert`/`PIP_CERT`/`SSL_CERT_FILE`,
//! proxies from the environment, credentials from URLs and netrc, retries with backoff.

use super::percent_decode;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use url::Url;

use super::config::Login;
use super::Error;

/// Settings for [`Http`].
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Extra CA bundle (PEM), added to the system store.
    pub cert: Option<PathBuf>,
    /// Connect and read timeout (not a total timeout: big downloads are fine).
    pub timeout: Duration,
    /// Attempts after the first one, on 5xx/429/timeouts/resets.
    pub retries: u32,
    /// First backoff delay; doubles per attempt.
    pub backoff: Duration,
    /// The longest `Retry-After` guard waits; a server asking for more gets an error.
    pub max_retry_after: Duration,
    /// The largest index page or metadata file guard reads into memory.
    pub max_page_bytes: u64,
}

/// The total deadline for an index page (headers, then body) is this many
/// times the per-read timeout; downloads must keep up
/// [`MIN_DOWNLOAD_RATE`] over windows of the same length.
pub const DEADLINE_FACTOR: u32 = 10;

/// Bytes per second a download must average over each deadline window.
pub const MIN_DOWNLOAD_RATE: u64 = 1024;

/// Default for [`HttpOptions::max_page_bytes`]: 64 MiB, several times the
/// largest PyPI project page.
pub const MAX_PAGE_BYTES: u64 = 64 << 20;

impl HttpOptions {
    /// The bound on an index page: headers within it, then the body within it.
    pub fn deadline(&self) -> Duration {
        self.timeout.saturating_mul(DEADLINE_FACTOR)
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            cert: None,
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(60),
            max_page_bytes: MAX_PAGE_BYTES,
        }
    }
}

/// A retrying HTTP client that knows credentials per host.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    logins: HashMap<String, Login>,
    pub options: HttpOptions,
}

impl Http {
    pub fn new(options: HttpOptions, logins: HashMap<String, Login>) -> Result<Http, Error> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("guard/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.timeout)
            .read_timeout(options.timeout)
            .redirect(redirect_policy())
            .pool_max_idle_per_host(16);
        if let Some(path) = &options.cert {
            let pem = std::fs::read(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::Cert {
                path: path.clone(),
                message: "not a PEM certificate bundle".into(),
                source: Some(e),
            })?;
            if certs.is_empty() {
                return Err(Error::Cert {
                    path: path.clone(),
                    message: "no PEM certificates found".into(),
                    source: None,
                });
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(Error::Client)?;
        Ok(Http {
            client,
            logins,
            options,
        })
    }

    /// Remembers the credentials embedded in an index URL for its host, so
    /// file URLs on the same host get them too (as pip does).
    pub fn learn_credentials(&mut self, url: &Url) {
        if !url.username().is_empty() {
            let user = percent_decode(url.username());
            let pass = url.password().map(percent_decode).unwrap_or_default();
            self.logins.insert(host_key(url), (user, pass));
        }
    }

    fn request(&self, url: &Url, headers: HeaderMap) -> reqwest::RequestBuilder {
        let mut clean = url.clone();
        let login = if !url.username().is_empty() {
            let _ = clean.set_username("");
            let _ = clean.set_password(None);
            Some((
                percent_decode(url.username()),
                url.password().map(percent_decode).unwrap_or_default(),
            ))
        } else {
            self.logins
                .get(&host_key(url))
                .or_else(|| url.host_str().and_then(|h| self.logins.get(h)))
                .cloned()
        };
        let mut req = self.client.get(clean).headers(headers);
        if let Some((user, pass)) = login {
            req = req.basic_auth(user, Some(pass));
        }
        req
    }

    /// GETs `url`, retrying on 5xx, 429 (honouring Retry-After up to
    /// [`HttpOptions::max_retry_after`]), timeouts and connection resets.
    /// Each attempt must deliver its response headers within
    /// [`HttpOptions::deadline`]. Non-success statuses other than those are
    /// returned as [`Error::Status`] (404 included; callers decide what it means).
    pub async fn get(&self, url: &Url, accept: Option<&'static str>) -> Result<Response, Error> {
        let mut headers = HeaderMap::new();
        if let Some(a) = accept {
            headers.insert(ACCEPT, HeaderValue::from_static(a));
        }
        let deadline = self.options.deadline();
        let max = self.options.retries + 1;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = tokio::time::timeout(deadline, self.request(url, headers.clone()).send()).await;
            let Ok(sent) = sent else {
                return Err(Error::Deadline {
                    url: redact(url),
                    seconds: deadline.as_secs_f64(),
                    what: "no complete response headers",
                });
            };
            match sent {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status();
                    if retryable(status) && attempt < max {
                        let wait = match retry_after(&resp) {
                            Some(asked) if asked > self.options.max_retry_after => {
                                return Err(Error::RetryAfter {
                                    url: redact(url),
                                    status: status.as_u16(),
                                    asked: asked.as_secs(),
                                    limit: self.options.max_retry_after.as_secs(),
                                })
                            }
                            Some(asked) => asked,
                            None => self.backoff(attempt),
                        };
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    if status == StatusCode::FORBIDDEN {
                        if let Some(reason) = refusal_reason(resp).await {
                            return Err(Error::Refused {
                                url: redact(url),
                                status: status.as_u16(),
                                reason,
                            });
                        }
                    }
                    return Err(Error::Status {
                        url: redact(url),
                        status: status.as_u16(),
                        attempts: attempt,
                    });
                }
                Err(e) => {
                    if transient(&e) && attempt < max {
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(Error::from_reqwest(&redact(url), e, attempt));
                }
            }
        }
    }

    /// GETs `url` and reads the whole body, at most
    /// [`HttpOptions::max_page_bytes`] of it and within
    /// [`HttpOptions::deadline`]; a body cut short is retried too.
    pub async fn get_bytes(&self, url: &Url, accept: Option<&'static str>) -> Result<Fetched, Error> {
        let max = self.options.retries + 1;
        let limit = self.options.max_page_bytes;
        let deadline = self.options.deadline();
        let too_large = || Error::TooLarge {
            url: redact(url),
            limit_mib: limit >> 20,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let resp = self.get(url, accept).await?;
            let final_url = resp.url().clone();
            let content_type = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            // Without Cache-Control, pages are kept for PyPI's own max-age.
            let max_age = match resp.headers().get(reqwest::header::CACHE_CONTROL) {
                None => Some(super::DEFAULT_PAGE_TTL),
                Some(v) => v.to_str().ok().and_then(parse_max_age),
            };
            if resp.content_length().is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let mut body = Vec::new();
            let mut stream = resp.bytes_stream();
            let read = async {
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk?;
                    if (body.len() + chunk.len()) as u64 > limit {
                        return Ok(false);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok::<bool, reqwest::Error>(true)
            };
            match tokio::time::timeout(deadline, read).await {
                Err(_) => {
                    return Err(Error::Deadline {
                        url: redact(url),
                        seconds: deadline.as_secs_f64(),
                        what: "the body did not arrive",
                    })
                }
                Ok(Ok(true)) => {
                    return Ok(Fetched {
                        url: final_url,
                        content_type,
                        max_age,
                        body,
                    })
                }
                Ok(Ok(false)) => return Err(too_large()),
                Ok(Err(e)) if attempt < max && transient(&e) => {
                    tokio::time::sleep(self.backoff(attempt)).await;
                }
                Ok(Err(e)) => return Err(Error::from_reqwest(&redact(url), e, attempt)),
            }
        }
    }

    pub fn backoff(&self, attempt: u32) -> Duration {
        self.options.backoff * 2u32.saturating_pow(attempt.saturating_sub(1))
    }
}

/// A fetched body with the headers guard uses.
#[derive(Debug)]
pub struct Fetched {
    pub url: Url,
    pub content_type: Option<String>,
    pub max_age: Option<u64>,
    pub body: Vec<u8>,
}

pub fn retryable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT
}

/// Errors worth another attempt: timeouts, resets, bodies cut short. A
/// refused redirect is not one.
pub fn transient(e: &reqwest::Error) -> bool {
    !e.is_redirect() && (e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() || e.is_decode())
}

/// `Retry-After` in seconds (an HTTP date is not understood: the backoff applies).
fn retry_after(resp: &Response) -> Option<Duration> {
    let secs: u64 = resp.headers().get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs))
}

/// The most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 10;

/// Follows at most [`MAX_REDIRECTS`] redirects, never in a loop and never
/// from `https` down to plain `http`.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade =
            attempt.previous().last().is_some_and(|p| p.scheme() == "https") && attempt.url().scheme() != "https";
        if downgrade {
            let to = attempt.url().to_string();
            return attempt.error(format!("refusing to follow a redirect from https to {to}"));
        }
        if attempt.previous().contains(attempt.url()) {
            let to = attempt.url().to_string();
            return attempt.error(format!("redirect loop (back to {to})"));
        }
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        attempt.follow()
    })
}

fn parse_max_age(cc: &str) -> Option<u64> {
    if cc.contains("no-store") || cc.contains("no-cache") {
        return None;
    }
    cc.split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .find_map(|v| v.trim().parse().ok())
}

fn host_key(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

/// The URL without its password, for messages.
/// The first line of a short `text/plain` 403 body (a guarded index says why
/// it refuses a file there), printable characters only.
async fn refusal_reason(resp: Response) -> Option<String> {
    let plain = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !plain || resp.content_length().is_some_and(|n| n > 4096) {
        return None;
    }
    let body = tokio::time::timeout(std::time::Duration::from_secs(5), resp.bytes())
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let line: String = text
        .lines()
        .next()?
        .chars()
        .filter(|c| !c.is_control())
        .take(500)
        .collect();
    (!line.trim().is_empty()).then(|| line.trim().to_string())
}

pub fn redact(url: &Url) -> String {
    let mut u = url.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("****"));
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_and_parses_headers() {
        let u = Url::parse("https://alice:s3cret@pypi.corp/simple/").unwrap();
        assert_eq!(redact(&u), "https://alice:****@pypi.corp/simple/");
        assert_eq!(parse_max_age("public, max-age=600"), Some(600));
        assert_eq!(parse_max_age("no-cache, max-age=600"), None);
        assert!(retryable(StatusCode::SERVICE_UNAVAILABLE));
        assert!(retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(!retryable(StatusCode::NOT_FOUND));
    }
}
