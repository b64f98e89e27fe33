//! Artifacts on disk, served with bounded memory: a file is hashed (in
//! chunks) the first time it is served and whenever its size, mtime or inode
//! changed since; otherwise the handle that was checked is streamed as is.

use std::io::{Read, Seek};
use std::path::Path;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use sha2::{Digest, Sha256};

use super::Body;

/// Files up to this size are sent in one piece; larger ones in chunks of it.
const CHUNK: usize = 256 * 1024;

/// What identifies a file's contents without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub len: u64,
    mtime_ns: i128,
    ino: u64,
}

impl Fingerprint {
    fn of(meta: &std::fs::Metadata) -> Fingerprint {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(-1, |d| d.as_nanos() as i128);
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let ino = 0;
        Fingerprint {
            len: meta.len(),
            mtime_ns,
            ino,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} no longer has sha256 {expected} (found {found}); refusing to serve it")]
    Changed {
        path: String,
        expected: String,
        found: String,
    },
}

/// sha256 of the rest of `file`, read in chunks.
pub fn hash(file: &mut std::fs::File) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Opens `path` and checks it holds `sha256`: by `known` fingerprint when it
/// still matches the open handle, else by hashing it. Blocking.
pub fn open_verified(
    path: &Path,
    sha256: &str,
    known: Option<Fingerprint>,
) -> Result<(std::fs::File, Fingerprint), Error> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let fp = Fingerprint::of(&file.metadata().map_err(io)?);
    if known == Some(fp) {
        return Ok((file, fp));
    }
    let found = hash(&mut file).map_err(io)?;
    if found != sha256 {
        return Err(Error::Changed {
            path: path.display().to_string(),
            expected: sha256.to_string(),
            found,
        });
    }
    file.rewind().map_err(io)?;
    Ok((file, fp))
}

/// The rest of a small file (at most `len` bytes), in one piece.
pub fn read_small(file: std::fs::File, len: u64) -> Result<Bytes, std::io::Error> {
    let mut buf = Vec::with_capacity(len as usize);
    (&file).take(len).read_to_end(&mut buf)?;
    Ok(Bytes::from(buf))
}

/// The response body for a verified file of `len` bytes: one piece when
/// small, otherwise streamed in [`CHUNK`]s so memory per request is bounded.
/// A file shorter than `len` ends the body early (the client sees a short
/// read against Content-Length, never other bytes).
pub fn body(file: std::fs::File, len: u64) -> Result<Body, std::io::Error> {
    if len <= CHUNK as u64 {
        return Ok(super::full(read_small(file, len)?));
    }
    let file = tokio::fs::File::from_std(file);
    let stream = futures_util::stream::unfold((Some(file), len), |(file, left)| async move {
        use tokio::io::AsyncReadExt;
        let mut f = file?;
        if left == 0 {
            return None;
        }
        let mut buf = vec![0u8; CHUNK.min(left as usize)];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Frame::data(Bytes::from(buf))), (Some(f), left - n as u64)))
            }
            Err(e) => Some((Err(e), (None, 0))),
        }
    });
    Ok(StreamBody::new(stream).boxed_unsync())
}
