//! Structured log lines (one JSON object a line on stderr), written by one
//! thread so request handlers never block on a write to stderr: under load
//! the lines are written in batches, and flushed as soon as the queue is
//! empty, so a line is visible at once when the server is idle.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::OnceLock;
use std::time::Duration;

/// Lines queued beyond this are dropped (counted, and reported in the log).
const QUEUE: usize = 65_536;

enum Msg {
    Line(String),
    /// Answered once everything queued before it is written.
    Flush(SyncSender<()>),
}

static SENDER: OnceLock<SyncSender<Msg>> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);

fn writer(rx: Receiver<Msg>) {
    let stderr = std::io::stderr();
    while let Ok(first) = rx.recv() {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, stderr.lock());
        let mut waiting = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Msg::Line(l) => {
                    let _ = writeln!(out, "{l}");
                }
                Msg::Flush(done) => waiting.push(done),
            }
            next = rx.try_recv().ok();
        }
        let dropped = DROPPED.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let _ = writeln!(
                out,
                "{{\"event\":\"log-overflow\",\"dropped\":{dropped},\"note\":\"guard serve could not write its log fast enough\"}}"
            );
        }
        let _ = out.flush();
        for w in waiting {
            let _ = w.try_send(());
        }
    }
}

fn sender() -> &'static SyncSender<Msg> {
    SENDER.get_or_init(|| {
        let (tx, rx) = sync_channel(QUEUE);
        // Without the thread the receiver is dropped and `line` writes directly.
        let _ = std::thread::Builder::new()
            .name("guard-serve-log".into())
            .spawn(move || writer(rx));
        tx
    })
}

/// Queues one line (without its newline).
pub fn line(text: String) {
    match sender().try_send(Msg::Line(text)) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
        Err(TrySendError::Disconnected(Msg::Line(text))) => eprintln!("{text}"),
        Err(TrySendError::Disconnected(_)) => {}
    }
}

/// Waits (at most a second) until the lines queued so far are written.
pub fn flush() {
    let (tx, rx) = sync_channel(1);
    if sender().send(Msg::Flush(tx)).is_ok() {
        let _ = rx.recv_timeout(Duration::from_secs(1));
    }
}

/// A JSON string literal (quotes included).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

/// Appends `s` as a JSON string literal (per request: no intermediate values).
pub fn push_quoted(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_like_serde_json() {
        for s in ["plain", "a\"b\\c", "tab\tnew\nline\u{1}", "ünïcode /files/x"] {
            assert_eq!(super::quote(s), serde_json::Value::from(s).to_string());
        }
    }
}
