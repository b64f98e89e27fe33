//! Zip-based artifacts: wheels, eggs and zip sdists.

use std::io::{Cursor, Read};

use super::{EntryType, Error, Hazard, Sink};

pub(super) fn read(bytes: &[u8], sink: &mut Sink) -> Result<(), Error> {
    // The zip crate parses the whole central directory up front: refuse a
    // count over the limit before it allocates for millions of entries.
    if declared_entries(bytes).is_some_and(|n| n > sink.limits().max_entries as u64) {
        sink.room_for_entry_limit_hit();
        return Ok(());
    }
    let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| Error::Corrupt(e.to_string()))?;
    if archive.has_duplicate_names() {
        // The zip crate keeps the last copy (as extraction leaves on disk);
        // the first one was never seen.
        sink.hazard(Hazard::Duplicate {
            member: "(a name listed twice in the central directory)".into(),
            case_only: false,
            differs: true,
        });
    }
    if let Some(detail) = trailing_data(bytes) {
        sink.hazard(Hazard::ExtraData { detail });
    }
    let mut first_header = u64::MAX;
    let mut overlap: Vec<(u64, u64, String)> = Vec::new();
    for i in 0..archive.len() {
        if !sink.room_for_entry() {
            break;
        }
        // Look at the raw entry first: encryption and link flags, declared sizes.
        let (name, encrypted, symlink, dir, declared, compressed, span) = {
            let raw = archive
                .by_index_raw(i)
                .map_err(|e| Error::Corrupt(format!("entry {i}: {e}")))?;
            let start = raw.header_start();
            let end = raw.data_start().unwrap_or(start).saturating_add(raw.compressed_size());
            first_header = first_header.min(start);
            if let Some(detail) = local_mismatch(bytes, start, raw.name_raw(), raw.crc32(), raw.compressed_size()) {
                sink.hazard(Hazard::HeaderMismatch {
                    member: String::from_utf8_lossy(raw.name_raw()).into_owned(),
                    detail,
                });
            }
            (
                raw.name_raw().to_vec(),
                raw.encrypted(),
                raw.is_symlink(),
                raw.is_dir(),
                raw.size(),
                raw.compressed_size(),
                (start, end),
            )
        };
        let display = String::from_utf8_lossy(&name).into_owned();
        if encrypted {
            return Err(Error::Encrypted { member: display });
        }
        if let Some((_, _, other)) = overlap.iter().find(|(s, e, _)| span.0 < *e && *s < span.1) {
            sink.hazard(Hazard::HeaderMismatch {
                member: display.clone(),
                detail: format!("its data overlaps member `{other}`"),
            });
        }
        overlap.push((span.0, span.1, display.clone()));
        if compressed > 0 && declared / compressed > sink.limits().max_ratio && declared > sink.limits().bomb_floor {
            sink.bomb(format!(
                "member `{display}` declares {declared} bytes from {compressed} compressed"
            ));
        }
        if dir {
            sink.push(&name, EntryType::Dir, 0, Vec::new(), true);
            continue;
        }
        let mut file = match archive.by_index(i) {
            Ok(f) => f,
            Err(::zip::result::ZipError::UnsupportedArchive(msg))
                if msg == ::zip::result::ZipError::PASSWORD_REQUIRED =>
            {
                return Err(Error::Encrypted { member: display });
            }
            Err(::zip::result::ZipError::UnsupportedArchive(_)) => {
                return Err(Error::UnsupportedCompression { member: display });
            }
            Err(e) => return Err(Error::Corrupt(format!("member `{display}`: {e}"))),
        };
        let (keep, _) = sink.keep(declared);
        let budget = sink.budget();
        let mut data = Vec::with_capacity(keep.min(1 << 20));
        // Read what we keep, then drain the rest through a counter so that the
        // CRC is checked and the real expanded size is known.
        (&mut file)
            .take(keep as u64)
            .read_to_end(&mut data)
            .map_err(|e| Error::Corrupt(format!("member `{display}`: {e}")))?;
        let mut total = data.len() as u64;
        let mut stopped = !sink.expanded(total);
        // Drain the rest in chunks, checking the limits as it expands, so a
        // bomb is stopped at the limit rather than after the member.
        let mut chunk = vec![0u8; 64 << 10];
        while !stopped && total <= budget {
            let n = file
                .read(&mut chunk)
                .map_err(|e| Error::Corrupt(format!("member `{display}`: {e}")))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            stopped = !sink.expanded(n as u64);
        }
        if !stopped && total != declared {
            sink.hazard(Hazard::HeaderMismatch {
                member: display.clone(),
                detail: format!("declares {declared} bytes but holds {total}"),
            });
        }
        let complete = data.len() as u64 == total;
        let entry = if symlink { EntryType::Symlink } else { EntryType::File };
        if symlink {
            sink.link(&name, &data, false);
        }
        sink.push(&name, entry, total, data, complete && !stopped);
        if stopped || !sink.expanded(0) {
            break;
        }
    }
    if first_header != u64::MAX && first_header > 0 {
        sink.hazard(Hazard::ExtraData {
            detail: format!("{first_header} bytes precede the first member"),
        });
    }
    Ok(())
}

/// Compares a member's local header with its central directory entry: name,
/// and (without a data descriptor) CRC and compressed size. Readers that
/// trust the local headers (streaming unzippers) see different files.
fn local_mismatch(bytes: &[u8], start: u64, name: &[u8], crc: u32, compressed: u64) -> Option<String> {
    let at = usize::try_from(start).ok()?;
    let header = bytes.get(at..at.checked_add(30)?)?;
    let u16_at = |i: usize| u16::from_le_bytes([header[i], header[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    if u32_at(0) != 0x0403_4b50 {
        return Some("no local header where the central directory points".into());
    }
    let flags = u16_at(6);
    let name_len = usize::from(u16_at(26));
    let local_name = bytes.get(at + 30..at + 30 + name_len)?;
    if local_name != name {
        return Some(format!(
            "the local header names it `{}`",
            String::from_utf8_lossy(local_name)
        ));
    }
    let descriptor = flags & 0x0008 != 0;
    let local_compressed = u32_at(18);
    if !descriptor {
        if u32_at(14) != crc {
            return Some(format!("local header CRC {:08x}, central {crc:08x}", u32_at(14)));
        }
        if local_compressed != u32::MAX && u64::from(local_compressed) != compressed {
            return Some(format!(
                "local header says {local_compressed} compressed bytes, central {compressed}"
            ));
        }
    }
    None
}

/// Where the end-of-central-directory record starts (the last one).
fn eocd(bytes: &[u8]) -> Option<usize> {
    // The record is 22 bytes plus a comment of at most 65535 bytes.
    let window = bytes.len().saturating_sub(22 + 0xffff);
    (window..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))
}

/// The entry count the end-of-central-directory record (or its zip64
/// counterpart) declares.
fn declared_entries(bytes: &[u8]) -> Option<u64> {
    let pos = eocd(bytes)?;
    let count = u64::from(u16::from_le_bytes([bytes[pos + 10], bytes[pos + 11]]));
    if count != 0xffff {
        return Some(count);
    }
    let locator = bytes.get(pos.checked_sub(20)?..pos)?;
    if !locator.starts_with(b"PK\x06\x07") {
        return Some(count);
    }
    let at = usize::try_from(u64::from_le_bytes(locator[8..16].try_into().ok()?)).ok()?;
    let record = bytes.get(at..at.checked_add(40)?)?;
    if !record.starts_with(b"PK\x06\x06") {
        return Some(count);
    }
    Some(u64::from_le_bytes(record[32..40].try_into().ok()?))
}

/// Bytes after the end-of-central-directory record (and its comment).
fn trailing_data(bytes: &[u8]) -> Option<String> {
    let pos = eocd(bytes)?;
    let comment = usize::from(u16::from_le_bytes([bytes[pos + 20], bytes[pos + 21]]));
    let end = pos + 22 + comment;
    (end < bytes.len()).then(|| format!("{} bytes follow the end of the archive", bytes.len() - end))
}
