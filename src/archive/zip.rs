//! Zip-based artifacts: wheels, eggs and zip sdists.

use std::io::{Cursor, Read};

use super::{EntryType, Error, Hazard, Sink};

pub(super) fn read(bytes: &[u8], sink: &mut Sink) -> Result<(), Error> {
    let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| Error::Corrupt(e.to_string()))?;
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
            let end = raw.data_start().unwrap_or(start) + raw.compressed_size();
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
        let rest = drain(&mut file, budget.saturating_sub(total) + 1)
            .map_err(|e| Error::Corrupt(format!("member `{display}`: {e}")))?;
        total += rest;
        if total != declared {
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
        sink.push(&name, entry, total, data, complete);
        if !sink.expanded(total) {
            break;
        }
    }
    Ok(())
}

/// Reads and discards at most `limit` bytes, returning how many were read.
fn drain(reader: &mut impl Read, limit: u64) -> std::io::Result<u64> {
    std::io::copy(&mut reader.take(limit), &mut std::io::sink())
}
