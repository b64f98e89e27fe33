//! PEP 691 (JSON) and PEP 503 (HTML) project pages → [`DistFile`]s.

use super::percent_decode;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;
use url::Url;

use super::{CoreMetadata, DistFile, Error, ProjectPage};

/// Parses a PEP 691 JSON project page. File URLs are resolved against `page`.
pub fn parse_json(body: &[u8], page: &Url) -> Result<ProjectPage, Error> {
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        files: Vec<File>,
        #[serde(default)]
        versions: Vec<String>,
    }
    #[derive(Deserialize)]
    struct File {
        filename: String,
        url: String,
        #[serde(default)]
        hashes: std::collections::BTreeMap<String, String>,
        #[serde(rename = "requires-python")]
        requires_python: Option<String>,
        #[serde(rename = "core-metadata")]
        core_metadata: Option<MetaField>,
        #[serde(rename = "dist-info-metadata")]
        dist_info_metadata: Option<MetaField>,
        yanked: Option<Yanked>,
        #[serde(rename = "upload-time")]
        upload_time: Option<String>,
        size: Option<u64>,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum MetaField {
        Bool(bool),
        Hashes(std::collections::BTreeMap<String, String>),
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Yanked {
        Bool(bool),
        Reason(String),
    }
    let parsed: Page = serde_json::from_slice(body).map_err(|e| Error::Parse {
        url: page.to_string(),
        message: "not a PEP 691 JSON page".into(),
        source: Some(Box::new(e)),
    })?;
    let mut files = Vec::with_capacity(parsed.files.len());
    for f in parsed.files {
        let url = join(page, &f.url)?;
        let core_metadata = match f.core_metadata.or(f.dist_info_metadata) {
            None | Some(MetaField::Bool(false)) => CoreMetadata::Absent,
            Some(MetaField::Bool(true)) => CoreMetadata::Available { sha256: None },
            Some(MetaField::Hashes(h)) => CoreMetadata::Available {
                sha256: h.get("sha256").map(|s| s.to_ascii_lowercase()),
            },
        };
        let yanked = match f.yanked {
            None | Some(Yanked::Bool(false)) => None,
            Some(Yanked::Bool(true)) => Some(String::new()),
            Some(Yanked::Reason(r)) => Some(r),
        };
        files.push(DistFile {
            filename: f.filename,
            url,
            sha256: f.hashes.get("sha256").map(|s| s.to_ascii_lowercase()),
            requires_python: f.requires_python.filter(|s| !s.trim().is_empty()),
            core_metadata,
            yanked,
            upload_time: f.upload_time,
            size: f.size,
        });
    }
    Ok(ProjectPage {
        files,
        versions: parsed.versions,
    })
}

static ANCHOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?is)<a\s([^>]*)>(.*?)</a\s*>").unwrap());
static BASE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"(?is)<base\s[^>]*href\s*=\s*["']([^"']*)["']"#).unwrap());
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"#).unwrap()
});
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").unwrap());

/// Parses a PEP 503 HTML project page (PEP 592 yanked, PEP 658/714 metadata,
/// `data-requires-python`). File URLs are resolved against `page` (or `<base href>`).
pub fn parse_html(body: &str, page: &Url) -> Result<ProjectPage, Error> {
    let base = match BASE.captures(body) {
        Some(c) => join(page, &unescape(&c[1]))?,
        None => page.clone(),
    };
    let mut files = Vec::new();
    for cap in ANCHOR.captures_iter(body) {
        let attrs = &cap[1];
        let text = unescape(TAG.replace_all(&cap[2], "").trim());
        let mut href = None;
        let mut requires_python = None;
        let mut yanked = None;
        let mut core_metadata = CoreMetadata::Absent;
        let mut legacy_metadata = CoreMetadata::Absent;
        for a in ATTR.captures_iter(attrs) {
            let key = a[1].to_ascii_lowercase();
            let value = a.get(2).or(a.get(3)).or(a.get(4)).map(|m| unescape(m.as_str()));
            match key.as_str() {
                "href" => href = value,
                "data-requires-python" => requires_python = value.filter(|v| !v.trim().is_empty()),
                "data-yanked" => yanked = Some(value.unwrap_or_default()),
                "data-core-metadata" => core_metadata = metadata_attr(value.as_deref()),
                "data-dist-info-metadata" => legacy_metadata = metadata_attr(value.as_deref()),
                _ => {}
            }
        }
        let Some(href) = href else { continue };
        let mut url = join(&base, &href)?;
        let sha256 = url
            .fragment()
            .and_then(|f| f.strip_prefix("sha256="))
            .map(|s| s.to_ascii_lowercase());
        url.set_fragment(None);
        let filename = if text.is_empty() || text.contains('/') {
            url.path_segments()
                .and_then(|mut s| s.next_back())
                .map(percent_decode)
                .unwrap_or_default()
        } else {
            text
        };
        files.push(DistFile {
            filename,
            url,
            sha256,
            requires_python,
            core_metadata: if core_metadata == CoreMetadata::Absent {
                legacy_metadata
            } else {
                core_metadata
            },
            yanked,
            upload_time: None,
            size: None,
        });
    }
    Ok(ProjectPage {
        files,
        versions: Vec::new(),
    })
}

fn metadata_attr(value: Option<&str>) -> CoreMetadata {
    match value {
        None => CoreMetadata::Available { sha256: None },
        Some(v) if v.eq_ignore_ascii_case("false") => CoreMetadata::Absent,
        Some(v) => CoreMetadata::Available {
            sha256: v.strip_prefix("sha256=").map(|s| s.to_ascii_lowercase()),
        },
    }
}

/// Resolves a possibly relative URL against the page URL.
pub fn join(page: &Url, href: &str) -> Result<Url, Error> {
    page.join(href).map_err(|e| Error::Parse {
        url: page.to_string(),
        message: format!("bad link `{href}`"),
        source: Some(Box::new(e)),
    })
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let ent = &after[..e];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => ent
                    .strip_prefix("#x")
                    .or_else(|| ent.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_page_with_relative_urls_and_attributes() {
        let page = Url::parse("https://mirror.example/simple/foo/").unwrap();
        let html = r#"<!DOCTYPE html><html><body>
<a href="../../packages/foo-1.0.tar.gz#sha256=ABCDEF" data-requires-python="&gt;=3.8">foo-1.0.tar.gz</a><br/>
<a href="https://files.example/foo-1.1-py3-none-any.whl#sha256=0123" data-dist-info-metadata="sha256=beef" data-yanked="broken build">foo-1.1-py3-none-any.whl</a>
<a href='/p/foo-1.2-py3-none-any.whl' data-core-metadata="true" data-dist-info-metadata="sha256=aaaa">foo-1.2-py3-none-any.whl</a>
<a>no href</a>
</body></html>"#;
        let p = parse_html(html, &page).unwrap();
        assert_eq!(p.files.len(), 3);
        let f = &p.files[0];
        assert_eq!(f.url.as_str(), "https://mirror.example/packages/foo-1.0.tar.gz");
        assert_eq!(f.sha256.as_deref(), Some("abcdef"));
        assert_eq!(f.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(f.core_metadata, CoreMetadata::Absent);
        assert!(f.yanked.is_none());
        let f = &p.files[1];
        assert_eq!(f.yanked.as_deref(), Some("broken build"));
        assert_eq!(
            f.core_metadata,
            CoreMetadata::Available {
                sha256: Some("beef".into())
            }
        );
        let f = &p.files[2];
        assert_eq!(f.url.as_str(), "https://mirror.example/p/foo-1.2-py3-none-any.whl");
        assert_eq!(f.core_metadata, CoreMetadata::Available { sha256: None });
    }

    #[test]
    fn json_page() {
        let page = Url::parse("https://pypi.example/simple/foo/").unwrap();
        let json = br#"{"meta":{"api-version":"1.1"},"name":"foo","versions":["1.0","2.0"],
          "files":[
            {"filename":"foo-1.0.tar.gz","url":"../../files/foo-1.0.tar.gz","hashes":{"sha256":"AB"},
             "requires-python":">=3.7","yanked":"security","upload-time":"2024-01-01T00:00:00.000000Z","size":123},
            {"filename":"foo-2.0-py3-none-any.whl","url":"https://f.example/foo-2.0-py3-none-any.whl","hashes":{},
             "core-metadata":{"sha256":"cd"},"yanked":false},
            {"filename":"foo-2.0.tar.gz","url":"x","hashes":{"sha256":"ef"},"dist-info-metadata":true,"yanked":true}
          ]}"#;
        let p = parse_json(json, &page).unwrap();
        assert_eq!(p.versions, ["1.0", "2.0"]);
        let f = &p.files[0];
        assert_eq!(f.url.as_str(), "https://pypi.example/files/foo-1.0.tar.gz");
        assert_eq!(f.sha256.as_deref(), Some("ab"));
        assert_eq!(f.yanked.as_deref(), Some("security"));
        assert_eq!(f.upload_time.as_deref(), Some("2024-01-01T00:00:00.000000Z"));
        assert_eq!(f.size, Some(123));
        assert_eq!(p.files[1].sha256, None);
        assert_eq!(
            p.files[1].core_metadata,
            CoreMetadata::Available {
                sha256: Some("cd".into())
            }
        );
        assert_eq!(p.files[2].yanked.as_deref(), Some(""));
        assert_eq!(p.files[2].core_metadata, CoreMetadata::Available { sha256: None });
        assert!(parse_json(b"{not json", &page).is_err());
    }

    #[test]
    fn entities_and_percent() {
        assert_eq!(unescape("a&amp;b&#60;&#x3e;&bogus"), "a&b<>&bogus");
        assert_eq!(percent_decode("foo%2Bbar-1.0.tar.gz"), "foo+bar-1.0.tar.gz");
    }
}
