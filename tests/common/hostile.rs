//! Hostile archives built in memory: zip via the `zip` writer (patched where
//! a test needs broken headers), tar from raw 512-byte headers (tar::Builder
//! refuses `..` and absolute names), gzip via flate2.

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

#[allow(unused_imports)]
pub use super::artifacts::{gz, tar_of, zip_of, zip_stored};
use guard::inspect::Finding;
use guard::policy::{decide, Policy, Verdict};

/// The longest any single hostile case may take (debug build, shared CI cores).
pub const TIME_BOUND: Duration = Duration::from_secs(90);

/// Inspects on a scanner-sized stack, under [`TIME_BOUND`], and decides with the default policy.
pub fn scan(name: &str, bytes: &[u8]) -> (Verdict, Vec<Finding>) {
    let (tx, rx) = mpsc::channel();
    let name = name.to_string();
    let bytes = bytes.to_vec();
    std::thread::Builder::new()
        .stack_size(guard::inspect::STACK_SIZE)
        .spawn(move || {
            let inspection = guard::inspect::inspect_bytes(&name, &bytes);
            let mut findings = inspection.findings;
            let verdict = decide(inspection.name.as_deref(), &mut findings, &Policy::default());
            let _ = tx.send((verdict, findings));
        })
        .unwrap();
    rx.recv_timeout(TIME_BOUND)
        .expect("inspection panicked or exceeded its time bound")
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

// ------------------------------------------------------------------ zip

/// One member of `size` zero bytes, deflated, written in chunks.
pub fn zip_zeros(name: &str, size: usize) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(false);
    z.start_file(name, opts).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..size >> 20 {
        z.write_all(&chunk).unwrap();
    }
    z.finish().unwrap();
    buf.into_inner()
}

pub fn zip_symlink(name: &str, target: &str) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("pkg/__init__.py", opts).unwrap();
    z.write_all(b"x=1\n").unwrap();
    z.add_symlink(name, target, opts).unwrap();
    z.finish().unwrap();
    buf.into_inner()
}

/// A stored zip written by hand, so names can be anything (duplicates,
/// `..`, invalid UTF-8, 5000 bytes) whatever the writer would accept.
pub fn zip_raw_names(files: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let common = |v: &mut Vec<u8>| {
            v.extend(20u16.to_le_bytes()); // version needed
            v.extend(0u16.to_le_bytes()); // flags
            v.extend(0u16.to_le_bytes()); // stored
            v.extend(0u32.to_le_bytes()); // time, date
            v.extend(crc.to_le_bytes());
            v.extend((data.len() as u32).to_le_bytes());
            v.extend((data.len() as u32).to_le_bytes());
            v.extend((name.len() as u16).to_le_bytes());
            v.extend(0u16.to_le_bytes()); // extra
        };
        out.extend(b"PK\x03\x04");
        common(&mut out);
        out.extend(*name);
        out.extend(*data);
        central.extend(b"PK\x01\x02");
        central.extend(20u16.to_le_bytes()); // made by
        common(&mut central);
        central.extend(0u16.to_le_bytes()); // comment
        central.extend(0u16.to_le_bytes()); // disk
        central.extend(0u16.to_le_bytes()); // internal attrs
        central.extend(0u32.to_le_bytes()); // external attrs
        central.extend(offset.to_le_bytes());
        central.extend(*name);
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(b"PK\x05\x06");
    out.extend(0u32.to_le_bytes()); // disks
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// `count` empty stored members, with zip64 end records (over 65535 entries).
pub fn zip_many(count: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for i in 0..count {
        let name = format!("{i:x}");
        let offset = out.len() as u32;
        let fields = |v: &mut Vec<u8>| {
            v.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            v.extend([0u8; 12]); // crc, sizes
            v.extend((name.len() as u16).to_le_bytes());
            v.extend([0, 0]);
        };
        out.extend(b"PK\x03\x04");
        fields(&mut out);
        out.extend(name.as_bytes());
        central.extend(b"PK\x01\x02");
        central.extend([20, 0]);
        fields(&mut central);
        central.extend([0u8; 8]);
        central.extend([0u8; 4]);
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_offset = out.len() as u64;
    out.extend(&central);
    let z64 = out.len() as u64;
    out.extend(b"PK\x06\x06");
    out.extend(44u64.to_le_bytes());
    out.extend([45, 0, 45, 0]);
    out.extend([0u8; 8]); // disks
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend((central.len() as u64).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(b"PK\x06\x07");
    out.extend(0u32.to_le_bytes());
    out.extend(z64.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    out.extend(b"PK\x05\x06");
    out.extend([0u8; 4]);
    out.extend([0xff; 4]);
    out.extend([0xff; 8]);
    out.extend([0, 0]);
    out
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

// ------------------------------------------------------------------ tar

/// A raw GNU tar header: any name bytes (first 100 used), any type flag.
pub fn raw_tar_header(name: &[u8], kind: u8, link: &[u8], size: u64) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    let l = link.len().min(100);
    h[157..157 + l].copy_from_slice(&link[..l]);
    h[257..265].copy_from_slice(b"ustar  \0");
    checksum(&mut h);
    h
}

pub fn checksum(h: &mut [u8]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h[..512].iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// Data padded to the 512-byte block size.
pub fn pad(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    v.resize(data.len().div_ceil(512) * 512, 0);
    v
}

/// A GNU long-name record for the entry that follows.
pub fn gnu_long_name(name: &[u8]) -> Vec<u8> {
    let mut data = name.to_vec();
    data.push(0);
    let mut out = raw_tar_header(b"././@LongLink", b'L', b"", data.len() as u64);
    out.extend(pad(&data));
    out
}

/// A `.tar.gz` holding one member of `size` zeros, compressed as it is
/// written (a bomb of hundreds of MiB never sits in memory uncompressed).
pub fn tar_gz_zeros(name: &str, size: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&raw_tar_header(name.as_bytes(), b'0', b"", size as u64))
        .unwrap();
    let zeros = vec![0u8; 1 << 20];
    let mut left = size.div_ceil(512) * 512 + 1024;
    while left > 0 {
        let n = left.min(zeros.len());
        gz.write_all(&zeros[..n]).unwrap();
        left -= n;
    }
    gz.finish().unwrap()
}

/// A tar holding one member of `size` zeros.
pub fn tar_zeros(name: &str, size: usize) -> Vec<u8> {
    let mut t = raw_tar_header(name.as_bytes(), b'0', b"", size as u64);
    t.resize(512 + size, 0);
    t.extend([0u8; 1024]);
    t
}
