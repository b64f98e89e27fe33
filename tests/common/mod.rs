//! Test fixtures shared by the end-to-end tests: wheels and sdists built in
//! code, and a PEP 691 index on 127.0.0.1:0 with fault modes (the same server
//! as tests/install.rs).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

pub fn wheel(name: &str, version: &str, requires: &[&str]) -> (String, Vec<u8>) {
    let dist = name.replace('-', "_");
    let filename = format!("{dist}-{version}-py3-none-any.whl");
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for r in requires {
        metadata.push_str(&format!("Requires-Dist: {r}\n"));
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        for (path, data) in [
            (format!("{dist}/__init__.py"), "VALUE = 1\n".to_string()),
            (format!("{dist}-{version}.dist-info/METADATA"), metadata),
            (
                format!("{dist}-{version}.dist-info/WHEEL"),
                "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n".into(),
            ),
            (format!("{dist}-{version}.dist-info/RECORD"), String::new()),
        ] {
            zip.start_file(path, opts).unwrap();
            zip.write_all(data.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }
    (filename, buf.into_inner())
}

pub fn sdist(name: &str, version: &str, files: &[(&str, String)]) -> (String, Vec<u8>) {
    let filename = format!("{name}-{version}.tar.gz");
    let mut out = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (path, data) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, format!("{name}-{version}/{path}"), data.as_bytes())
                .unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
    }
    (filename, out)
}

pub fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------- server

#[derive(Clone, Copy, PartialEq)]
pub enum Fault {
    None,
    /// Answer 500 to the first N requests.
    FailFirst(usize),
    /// Never answer (until the client gives up).
    Hang,
    /// Announce the full length, send half, close. `Some(n)`: only the first n times.
    Truncate(Option<usize>),
}

pub struct Route {
    body: Vec<u8>,
    content_type: String,
    fault: Fault,
    hits: AtomicUsize,
}

pub struct Index {
    pub port: u16,
    routes: Arc<Mutex<HashMap<String, Arc<Route>>>>,
    /// project → [(filename, sha256 announced)]
    projects: Mutex<HashMap<String, Vec<(String, String)>>>,
}

impl Index {
    pub fn start() -> Index {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Arc<Route>>>> = Arc::default();
        let r = routes.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let r = r.clone();
                std::thread::spawn(move || serve(stream, &r));
            }
        });
        Index {
            port,
            routes,
            projects: Mutex::default(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/simple/", self.port)
    }

    pub fn route(&self, path: &str, body: Vec<u8>, content_type: &str, fault: Fault) {
        self.routes.lock().unwrap().insert(
            path.to_string(),
            Arc::new(Route {
                body,
                content_type: content_type.into(),
                fault,
                hits: AtomicUsize::new(0),
            }),
        );
    }

    pub fn hits(&self, path: &str) -> usize {
        self.routes.lock().unwrap()[path].hits.load(Ordering::SeqCst)
    }

    /// Serves a file and lists it on its project's JSON page.
    pub fn add(&self, project: &str, (filename, bytes): (String, Vec<u8>), fault: Fault) {
        self.add_with_hash(project, (filename, bytes.clone()), fault, &sha(&bytes));
    }

    pub fn add_with_hash(&self, project: &str, (filename, bytes): (String, Vec<u8>), fault: Fault, hash: &str) {
        self.route(&format!("/files/{filename}"), bytes, "application/octet-stream", fault);
        let mut projects = self.projects.lock().unwrap();
        let files = projects.entry(project.to_string()).or_default();
        files.push((filename, hash.to_string()));
        // Relative file URLs: the client must resolve them against the page URL.
        let entries: Vec<String> = files
            .iter()
            .map(|(f, h)| format!(r#"{{"filename":"{f}","url":"../../files/{f}","hashes":{{"sha256":"{h}"}}}}"#))
            .collect();
        let page = format!(
            r#"{{"meta":{{"api-version":"1.1"}},"name":"{project}","files":[{}]}}"#,
            entries.join(",")
        );
        drop(projects);
        self.route(
            &format!("/simple/{project}/"),
            page.into_bytes(),
            "application/vnd.pypi.simple.v1+json",
            Fault::None,
        );
    }
}

pub fn serve(mut stream: TcpStream, routes: &Mutex<HashMap<String, Arc<Route>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let route = routes.lock().unwrap().get(&path).cloned();
    let Some(route) = route else {
        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let n = route.hits.fetch_add(1, Ordering::SeqCst);
    let len = route.body.len();
    let header = |len: usize| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
            route.content_type
        )
    };
    match route.fault {
        Fault::FailFirst(k) if n < k => {
            let _ = stream
                .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        Fault::Hang => std::thread::sleep(Duration::from_secs(10)),
        Fault::Truncate(limit) if limit.is_none_or(|l| n < l) => {
            let _ = stream.write_all(header(len).as_bytes());
            let _ = stream.write_all(&route.body[..len / 2]);
            let _ = stream.flush();
        }
        _ => {
            let _ = stream.write_all(header(len).as_bytes());
            let _ = stream.write_all(&route.body);
        }
    }
}

/// Builders for the hostile-input tests (issue 7).
pub mod hostile;
