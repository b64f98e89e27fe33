//! PEP 691 JSON and PEP 503 HTML project pages pointing back at guard, and
//! content negotiation as PyPI does it.

use crate::index::{CoreMetadata, DistFile};

pub const JSON: &str = "application/vnd.pypi.simple.v1+json";
pub const HTML_V1: &str = "application/vnd.pypi.simple.v1+html";
pub const HTML: &str = "text/html";

/// Picks the page format for an `Accept` header: the highest q-value among
/// the formats guard serves; ties go to JSON, then v1 HTML, then text/html.
/// No header (or `*/*` only) means `text/html`, as on PyPI. `None`: 406.
pub fn negotiate(accept: Option<&str>) -> Option<&'static str> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(HTML);
    };
    let mut best: Option<(f32, usize, &'static str)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let media = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok()))
            .next()
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let candidates: &[(usize, &'static str)] = match media.as_str() {
            JSON => &[(0, JSON)],
            HTML_V1 => &[(1, HTML_V1)],
            HTML => &[(2, HTML)],
            // A wildcard gets PyPI's default, HTML.
            "*/*" | "text/*" => &[(3, HTML)],
            "application/*" => &[(3, JSON)],
            _ => &[],
        };
        for &(rank, kind) in candidates {
            let better = match best {
                None => true,
                Some((bq, brank, _)) => q > bq || (q == bq && rank < brank),
            };
            if better {
                best = Some((q, rank, kind));
            }
        }
    }
    best.map(|(_, _, kind)| kind)
}

/// A file as guard lists it: the upstream's signals, guard's URL.
pub struct Listed<'a> {
    pub file: &'a DistFile,
    pub sha256: &'a str,
}

fn file_href(sha256: &str, filename: &str) -> String {
    format!("../../files/{sha256}/{}", escape_path(filename))
}

fn escape_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~+!".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn project_json(name: &str, files: &[Listed<'_>], versions: &[String]) -> String {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|l| {
            let f = l.file;
            let mut v = serde_json::json!({
                "filename": f.filename,
                "url": file_href(l.sha256, &f.filename),
                "hashes": { "sha256": l.sha256 },
            });
            let o = v.as_object_mut().expect("an object");
            if let Some(rp) = &f.requires_python {
                o.insert("requires-python".into(), rp.clone().into());
            }
            if let CoreMetadata::Available { sha256 } = &f.core_metadata {
                let m = match sha256 {
                    Some(h) => serde_json::json!({ "sha256": h }),
                    None => serde_json::Value::Bool(true),
                };
                o.insert("core-metadata".into(), m.clone());
                o.insert("dist-info-metadata".into(), m);
            }
            o.insert(
                "yanked".into(),
                match &f.yanked {
                    None => false.into(),
                    Some(r) if r.is_empty() => true.into(),
                    Some(r) => r.clone().into(),
                },
            );
            if let Some(t) = &f.upload_time {
                o.insert("upload-time".into(), t.clone().into());
            }
            if let Some(s) = f.size {
                o.insert("size".into(), s.into());
            }
            v
        })
        .collect();
    serde_json::json!({
        "meta": { "api-version": "1.1" },
        "name": name,
        "files": files,
        "versions": versions,
    })
    .to_string()
}

pub fn project_html(name: &str, files: &[Listed<'_>]) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"1.1\">\n<title>Links for {0}</title>\n</head>\n<body>\n<h1>Links for {0}</h1>\n",
        escape(name)
    );
    for l in files {
        let f = l.file;
        out.push_str(&format!(
            "<a href=\"{}#sha256={}\"",
            escape(&file_href(l.sha256, &f.filename)),
            l.sha256
        ));
        if let Some(rp) = &f.requires_python {
            out.push_str(&format!(" data-requires-python=\"{}\"", escape(rp)));
        }
        if let Some(reason) = &f.yanked {
            out.push_str(&format!(" data-yanked=\"{}\"", escape(reason)));
        }
        if let CoreMetadata::Available { sha256 } = &f.core_metadata {
            let value = match sha256 {
                Some(h) => format!("sha256={h}"),
                None => "true".into(),
            };
            out.push_str(&format!(
                " data-core-metadata=\"{value}\" data-dist-info-metadata=\"{value}\""
            ));
        }
        out.push_str(&format!(">{}</a><br/>\n", escape(&f.filename)));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The root page: guard does not mirror upstream project lists.
pub fn root(kind: &str) -> String {
    if kind == JSON {
        serde_json::json!({ "meta": { "api-version": "1.1" }, "projects": [] }).to_string()
    } else {
        "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"1.1\">\n<title>Simple index</title>\n</head>\n<body>\n<!-- guard serve lists projects on request only: ask for /simple/NAME/ -->\n</body>\n</html>\n".into()
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_pypi() {
        assert_eq!(negotiate(None), Some(HTML));
        assert_eq!(negotiate(Some("*/*")), Some(HTML));
        assert_eq!(negotiate(Some("text/html")), Some(HTML));
        assert_eq!(
            negotiate(Some(
                "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
            )),
            Some(JSON)
        );
        assert_eq!(
            negotiate(Some(
                "application/vnd.pypi.simple.v1+html, application/vnd.pypi.simple.v1+json"
            )),
            Some(JSON)
        );
        assert_eq!(
            negotiate(Some("application/vnd.pypi.simple.v1+json;q=0.5, text/html")),
            Some(HTML)
        );
        assert_eq!(negotiate(Some("image/png")), None);
        assert_eq!(negotiate(Some("application/vnd.pypi.simple.v1+json;q=0")), None);
    }

    #[test]
    fn html_escapes_and_links_back() {
        let f = DistFile {
            filename: "a-1.0.tar.gz".into(),
            url: url::Url::parse("https://up.example/a-1.0.tar.gz").unwrap(),
            sha256: Some("ab".repeat(32)),
            requires_python: Some(">=3.8".into()),
            core_metadata: CoreMetadata::Available { sha256: None },
            yanked: Some("bad \"release\"".into()),
            upload_time: None,
            size: None,
        };
        let sha = "ab".repeat(32);
        let html = project_html("a", &[Listed { file: &f, sha256: &sha }]);
        assert!(html.contains(&format!("href=\"../../files/{sha}/a-1.0.tar.gz#sha256={sha}\"")));
        assert!(html.contains("data-requires-python=\"&gt;=3.8\""));
        assert!(html.contains("data-yanked=\"bad &quot;release&quot;\""));
        assert!(!html.contains("up.example"));
    }
}
