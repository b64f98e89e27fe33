//! Review and admin endpoints under `/-/`, each needing a token of its scope
//! (see [`super::auth`]). JSON in, JSON out; `guard review --server URL`
//! is their client.
//!
//! | method and path                         | scope  |
//! |-----------------------------------------|--------|
//! | `GET /-/reviews`                        | review |
//! | `GET /-/reviews/NAME/VERSION`           | review |
//! | `POST /-/reviews/NAME/VERSION/approve`  | review |
//! | `POST /-/reviews/NAME/VERSION/deny`     | review |
//! | `GET /-/audit?limit=N`                  | admin  |
//!
//! A decision's body: `{"reason": "…", "by": "alice", "expires_in_days": 30}`
//! (`by` and `expires_in_days` optional). It is recorded as made by `by`
//! through the token's name, so a shared token still leaves a trail.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{Method, StatusCode};
use serde::Deserialize;

use super::auth::{Scope, Token};
use super::{blocking, forget, store_down, Refusal, Resp, State};
use crate::metadata::normalize;
use crate::store::{self, AuditEvent, Review};

/// The scope a `/-/` path needs (`None`: no such endpoint).
pub fn scope(path: &str) -> Option<Scope> {
    if path == "/-/reviews" || path.starts_with("/-/reviews/") {
        Some(Scope::Review)
    } else if path == "/-/audit" {
        Some(Scope::Admin)
    } else {
        None
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    reason: String,
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    expires_in_days: Option<u64>,
}

const MAX_BODY: usize = 64 * 1024;

fn json(status: StatusCode, value: &serde_json::Value) -> Resp {
    let mut r = super::body("application/json", Bytes::from(value.to_string()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("cache-control", hyper::header::HeaderValue::from_static("no-store"));
    r
}

fn bad(reason: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, reason)
}

/// Serves one `/-/` request from `token` (already checked for the path's scope).
pub async fn route(
    state: &Arc<State>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: hyper::body::Incoming,
    token: &Token,
) -> Result<Resp, Refusal> {
    let parts: Vec<String> = path
        .trim_start_matches("/-/")
        .trim_end_matches('/')
        .split('/')
        .map(crate::index::percent_decode)
        .collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    match (method, parts.as_slice()) {
        (&Method::GET, ["reviews"]) => {
            let st = state.store.clone();
            let reviews = blocking(move || st.reviews()).await.map_err(store_down)?;
            let now = store::now();
            let list: Vec<serde_json::Value> = reviews
                .iter()
                .map(|r| {
                    let mut v = serde_json::to_value(r).unwrap_or_default();
                    v["approves"] = r.approves(now).into();
                    v
                })
                .collect();
            Ok(json(StatusCode::OK, &serde_json::json!({ "reviews": list })))
        }
        (&Method::GET, ["reviews", name, version]) => {
            let (n, v) = (normalize(name), version.to_string());
            let st = state.store.clone();
            let (review, verdicts) = blocking(move || Ok((st.review(&n, &v)?, st.verdicts_of(&n, &v)?)))
                .await
                .map_err(store_down)?;
            if review.is_none() && verdicts.is_empty() {
                return Err(Refusal::new(
                    StatusCode::NOT_FOUND,
                    format!("guard serve: no record of {} {version}", normalize(name)),
                ));
            }
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "review": review, "verdicts": verdicts }),
            ))
        }
        (&Method::POST, ["reviews", name, version, action @ ("approve" | "deny")]) => {
            let raw = http_body_util::Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| bad(format!("guard serve: cannot read the request body: {e}")))?
                .to_bytes();
            let d: Decision = serde_json::from_slice(&raw).map_err(|e| {
                bad(format!(
                    "guard serve: expected {{\"reason\": \"…\", \"by\": \"…\", \"expires_in_days\": N}}: {e}"
                ))
            })?;
            if d.reason.trim().is_empty() {
                return Err(bad("guard serve: `reason` must say why"));
            }
            let who = match d.by.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
                Some(by) => format!("{by} (token {})", token.name),
                None => format!("token {}", token.name),
            };
            let state_word = if *action == "approve" { "approved" } else { "denied" };
            let name = normalize(name);
            let now = store::now();
            let st = state.store.clone();
            let review = Review {
                name: name.clone(),
                version: version.to_string(),
                state: state_word.into(),
                reason: d.reason.clone(),
                who: who.clone(),
                at: now,
                expires: d.expires_in_days.map(|days| now + days as i64 * 86_400),
                filename: String::new(),
            };
            let event = AuditEvent {
                at: now,
                who: who.clone(),
                event: state_word.into(),
                name: name.clone(),
                version: version.to_string(),
                sha256: String::new(),
                detail: d.reason.clone(),
            };
            let (n2, v2) = (name.clone(), version.to_string());
            let stored = blocking(move || {
                st.decide(&review)?;
                st.audit(&event)?;
                st.review(&n2, &v2)
            })
            .await
            .map_err(store_down)?;
            forget(state, &name);
            super::log::line(format!(
                "{{\"at\":{now},\"event\":{},\"name\":{},\"version\":{},\"who\":{}}}",
                super::log::quote(state_word),
                super::log::quote(&name),
                super::log::quote(version),
                super::log::quote(&who)
            ));
            Ok(json(StatusCode::OK, &serde_json::json!({ "review": stored })))
        }
        (&Method::GET, ["audit"]) => {
            let limit = query
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("limit="))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(100)
                .min(10_000);
            let st = state.store.clone();
            let events = blocking(move || st.audit_log(limit)).await.map_err(store_down)?;
            Ok(json(StatusCode::OK, &serde_json::json!({ "events": events })))
        }
        (m, _) if *m != Method::GET && *m != Method::POST => Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "guard serve: only GET and POST here",
        )),
        _ => Err(Refusal::new(StatusCode::NOT_FOUND, "guard serve: no such endpoint")),
    }
}
