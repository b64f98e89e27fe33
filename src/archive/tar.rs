//! Tar-based sdists (`.tar.gz`, `.tar.bz2`, `.tar.xz`, `.tar`).

use std::io::Read;

use super::{EntryType, Error, Hazard, Sink};

pub(super) fn read(reader: impl Read, sink: &mut Sink) -> Result<(), Error> {
    let mut archive = ::tar::Archive::new(reader);
    let entries = archive.entries().map_err(|e| Error::Corrupt(e.to_string()))?;
    for (index, entry) in entries.enumerate() {
        if !sink.room_for_entry() {
            break;
        }
        let count = index + 1;
        let mut entry = entry.map_err(|e| Error::Corrupt(format!("entry {count}: {e}")))?;
        let name = entry.path_bytes().into_owned();
        let display = String::from_utf8_lossy(&name).into_owned();
        let kind = entry.header().entry_type();
        let declared = entry.size();
        use ::tar::EntryType as T;
        let entry_type = match kind {
            T::Regular | T::Continuous | T::GNUSparse => EntryType::File,
            T::Directory => EntryType::Dir,
            T::Symlink => EntryType::Symlink,
            T::Link => EntryType::Hardlink,
            // Metadata entries are consumed by the tar crate; anything else is odd.
            T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => continue,
            T::Char => {
                sink.hazard(Hazard::Special {
                    member: display.clone(),
                    kind: "character device",
                });
                EntryType::Other
            }
            T::Block => {
                sink.hazard(Hazard::Special {
                    member: display.clone(),
                    kind: "block device",
                });
                EntryType::Other
            }
            T::Fifo => {
                sink.hazard(Hazard::Special {
                    member: display.clone(),
                    kind: "FIFO",
                });
                EntryType::Other
            }
            _ => {
                sink.hazard(Hazard::Special {
                    member: display.clone(),
                    kind: "unknown entry type",
                });
                EntryType::Other
            }
        };
        match entry_type {
            EntryType::Symlink | EntryType::Hardlink => {
                let target = entry.link_name_bytes().map(|t| t.into_owned()).unwrap_or_default();
                sink.link(&name, &target, entry_type == EntryType::Hardlink);
                sink.push(&name, entry_type, 0, target, true);
                continue;
            }
            EntryType::Dir | EntryType::Other => {
                sink.push(&name, entry_type, 0, Vec::new(), true);
                continue;
            }
            EntryType::File => {}
        }
        let (keep, _) = sink.keep(declared);
        let mut data = Vec::with_capacity(keep.min(1 << 20));
        (&mut entry)
            .take(keep as u64)
            .read_to_end(&mut data)
            .map_err(|e| Error::Corrupt(format!("member `{display}`: {e}")))?;
        let read = data.len() as u64;
        if read < keep as u64 {
            return Err(Error::Corrupt(format!(
                "member `{display}` is truncated ({read} of {declared} bytes)"
            )));
        }
        let complete = read == declared;
        sink.push(&name, EntryType::File, declared, data, complete);
        if !sink.expanded(declared) {
            break;
        }
    }
    Ok(())
}
