//! Tar-based sdists (`.tar.gz`, `.tar.bz2`, `.tar.xz`, `.tar`).

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

use super::{EntryType, Error, Hazard, Sink};

/// Most bytes the tar crate may read between two entries beyond the current
/// entry's own data: headers plus GNU long names and pax records, which it
/// reads whole into memory (a 2 GiB "long name" would otherwise be held).
const METADATA_ALLOWANCE: u64 = 1 << 20;

/// A reader that fails once its allowance is spent (see [`METADATA_ALLOWANCE`]).
struct Allowance<R> {
    inner: R,
    left: Rc<Cell<u64>>,
    tripped: Rc<Cell<bool>>,
}

impl<R: Read> Read for Allowance<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.left.get();
        if left == 0 && !buf.is_empty() {
            self.tripped.set(true);
            return Err(std::io::Error::other("metadata entry over the size limit"));
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left.set(left - n as u64);
        Ok(n)
    }
}

pub(super) fn read(reader: impl Read, sink: &mut Sink) -> Result<(), Error> {
    let left = Rc::new(Cell::new(METADATA_ALLOWANCE));
    let tripped = Rc::new(Cell::new(false));
    let mut archive = ::tar::Archive::new(Allowance {
        inner: reader,
        left: left.clone(),
        tripped: tripped.clone(),
    });
    let result = read_entries(&mut archive, sink, &left);
    if tripped.get() {
        sink.bomb(format!(
            "holds a header, long name or pax record over {METADATA_ALLOWANCE} bytes"
        ));
        return Ok(());
    }
    result?;
    if sink.stopped() {
        return Ok(());
    }
    // After the end-of-archive marker only zero padding belongs; anything
    // else is hidden from every tool that reads the tar (a polyglot).
    let mut rest = archive.into_inner().inner.take(METADATA_ALLOWANCE);
    let mut buf = vec![0u8; 64 << 10];
    let mut hidden = 0u64;
    loop {
        match rest.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hidden += buf[..n].iter().filter(|b| **b != 0).count() as u64,
            Err(e) => return Err(Error::Corrupt(format!("after the end of the archive: {e}"))),
        }
    }
    if hidden > 0 {
        sink.hazard(Hazard::ExtraData {
            detail: format!("{hidden} non-zero bytes follow the end-of-archive marker"),
        });
    }
    Ok(())
}

fn read_entries<R: Read>(archive: &mut ::tar::Archive<R>, sink: &mut Sink, left: &Cell<u64>) -> Result<(), Error> {
    let entries = archive.entries().map_err(|e| Error::Corrupt(e.to_string()))?;
    for (index, entry) in entries.enumerate() {
        if !sink.room_for_entry() {
            break;
        }
        let count = index + 1;
        let mut entry = entry.map_err(|e| Error::Corrupt(format!("entry {count}: {e}")))?;
        // This entry's data (read or skipped, padded to 512), then the next headers.
        left.set(entry.size().saturating_add(511).saturating_add(METADATA_ALLOWANCE));
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
