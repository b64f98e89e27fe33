//! Printer and progress bars: the only module that imports indicatif.
//! Bars appear on stderr, only on a TTY and without `-q`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::download::Reporter;

/// Owns quiet/verbose for chatter on stderr.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub quiet: u8,
    pub verbose: u8,
    pub tty: bool,
}

impl Printer {
    pub fn new(quiet: u8, verbose: u8) -> Printer {
        Printer {
            quiet,
            verbose,
            tty: std::io::stderr().is_terminal(),
        }
    }

    pub fn warn(&self, message: &str) {
        if self.quiet < 2 {
            eprintln!("warning: {message}");
        }
    }

    pub fn info(&self, message: &str) {
        if self.quiet == 0 {
            eprintln!("{message}");
        }
    }

    pub fn debug(&self, message: &str) {
        if self.verbose > 0 {
            eprintln!("{message}");
        }
    }

    /// A spinner for a phase (resolution), or `None` off a TTY.
    pub fn spinner(&self, message: &str) -> Option<ProgressBar> {
        if !self.tty || self.quiet > 0 {
            return None;
        }
        let bar = ProgressBar::new_spinner().with_message(message.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Some(bar)
    }

    /// The download reporter: a byte bar on a TTY, silence otherwise.
    pub fn downloads(&self) -> std::sync::Arc<dyn Reporter> {
        if !self.tty || self.quiet > 0 {
            return std::sync::Arc::new(crate::download::Quiet);
        }
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} downloading {msg} {bytes}/{total_bytes}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        std::sync::Arc::new(Bar(bar))
    }
}

struct Bar(ProgressBar);

impl Reporter for Bar {
    fn start(&self, filename: &str, size: Option<u64>) {
        self.0.inc_length(size.unwrap_or(0));
        self.0.set_message(filename.to_string());
    }

    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    fn finish(&self, _filename: &str) {
        if self.0.position() >= self.0.length().unwrap_or(0) {
            self.0.finish_and_clear();
        }
    }
}
