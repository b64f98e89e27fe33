//! Decoders for the encodings and compressions droppers wrap payloads in.
//! Every decoder is bounded in output size and never panics on bad input.

use std::io::Read;

use base64::Engine;

/// Largest decoded payload kept, in bytes.
pub const MAX_DECODED: usize = 8 << 20;

fn strip_ws(data: &[u8]) -> Vec<u8> {
    data.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect()
}

fn b64_with(data: &[u8], url: bool) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode;
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let alphabet = if url {
        &base64::alphabet::URL_SAFE
    } else {
        &base64::alphabet::STANDARD
    };
    let mut clean = strip_ws(data);
    // Python's b64decode ignores characters outside the alphabet by default.
    clean.retain(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'='));
    while clean.last() == Some(&b'=') {
        clean.pop();
    }
    GeneralPurpose::new(alphabet, config).decode(&clean).ok()
}

pub fn base64(data: &[u8]) -> Option<Vec<u8>> {
    b64_with(data, false).or_else(|| b64_with(data, true))
}

pub fn base64_url(data: &[u8]) -> Option<Vec<u8>> {
    b64_with(data, true).or_else(|| b64_with(data, false))
}

pub fn base32(data: &[u8]) -> Option<Vec<u8>> {
    let clean = String::from_utf8(strip_ws(data)).ok()?;
    let clean = clean.trim_end_matches('=').to_ascii_uppercase();
    let mut out = Vec::with_capacity(clean.len() * 5 / 8);
    let (mut buf, mut bits) = (0u64, 0u32);
    for c in clean.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        buf = (buf << 5) | v as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub fn hex(data: &[u8]) -> Option<Vec<u8>> {
    let clean = strip_ws(data);
    let clean = clean.strip_prefix(b"0x").unwrap_or(&clean);
    ::hex::decode(clean).ok()
}

/// Base85 as Python's `b85decode` (RFC 1924 alphabet).
pub fn base85(data: &[u8]) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
    let mut table = [255u8; 256];
    for (i, c) in ALPHABET.iter().enumerate() {
        table[*c as usize] = i as u8;
    }
    decode85(&strip_ws(data), |c| Some(table[c as usize]).filter(|v| *v != 255))
}

/// Ascii85 as Python's `a85decode` (without `<~ ~>` framing, `z` for zeros).
pub fn ascii85(data: &[u8]) -> Option<Vec<u8>> {
    let mut clean = strip_ws(data);
    if clean.starts_with(b"<~") && clean.ends_with(b"~>") {
        clean = clean[2..clean.len() - 2].to_vec();
    }
    let expanded: Vec<u8> = clean
        .iter()
        .flat_map(|&c| if c == b'z' { b"!!!!!".to_vec() } else { vec![c] })
        .collect();
    decode85(&expanded, |c| (b'!'..=b'u').contains(&c).then(|| c - b'!'))
}

fn decode85(data: &[u8], value: impl Fn(u8) -> Option<u8>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() * 4 / 5);
    for chunk in data.chunks(5) {
        let mut acc: u64 = 0;
        for i in 0..5 {
            let v = match chunk.get(i) {
                Some(&c) => value(c)? as u64,
                None => 84,
            };
            acc = acc * 85 + v;
        }
        if acc > u32::MAX as u64 {
            return None;
        }
        let bytes = (acc as u32).to_be_bytes();
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    Some(out)
}

fn bounded(mut reader: impl Read) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    reader
        .by_ref()
        .take(MAX_DECODED as u64 + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() <= MAX_DECODED).then_some(out)
}

/// `zlib.decompress`: zlib-wrapped, else raw deflate, else gzip (wbits games).
pub fn zlib(data: &[u8]) -> Option<Vec<u8>> {
    bounded(flate2::read::ZlibDecoder::new(data))
        .or_else(|| bounded(flate2::read::DeflateDecoder::new(data)))
        .or_else(|| gzip(data))
}

pub fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    bounded(flate2::read::MultiGzDecoder::new(data))
}

pub fn bz2(data: &[u8]) -> Option<Vec<u8>> {
    bounded(bzip2::read::MultiBzDecoder::new(data))
}

/// `lzma.decompress`: `.xz` or legacy `.lzma` streams.
pub fn lzma(data: &[u8]) -> Option<Vec<u8>> {
    if data.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0]) {
        bounded(lzma_rust2::XzReader::new(data, true))
    } else {
        bounded(lzma_rust2::LzmaReader::new_mem_limit(data, 256 << 10, None).ok()?)
    }
}

pub fn rot13(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
            'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_round_trip() {
        assert_eq!(base64(b"aW1wb3J0IG9z").unwrap(), b"import os");
        assert_eq!(base64(b"aW1wb3J0IG9z\n").unwrap(), b"import os");
        assert_eq!(base64(b"aW1wb3J0IG9").unwrap(), b"import o");
        assert_eq!(base32(b"NFWXA33SOQQG64Y=").unwrap(), b"import os");
        assert_eq!(hex(b"696d706f7274206f73").unwrap(), b"import os");
        assert_eq!(base85(b"X>D+Ca&#bXa{").unwrap(), b"import os");
        assert_eq!(ascii85(b"Bl.g-Ec`FBEr").unwrap(), b"import os");
        assert_eq!(rot13("vzcbeg bf"), "import os");
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"import os").unwrap();
        assert_eq!(zlib(&z.finish().unwrap()).unwrap(), b"import os");
        assert!(zlib(b"not compressed").is_none());
        assert!(bz2(b"junk").is_none());
        assert!(lzma(b"junk").is_none());
    }
}
