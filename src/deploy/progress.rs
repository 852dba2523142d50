//! The one sink every deployment engine reports through, so that no engine writes to stdout or
//! stderr itself (the programs an engine runs stream their output through `crate::process`).
//!
//! An engine says what happens as [`Event`]s through a [`Progress`] handle; the [`Sink`] decides
//! where they go. Today the only sink is the [`console`]: progress, warnings and the watch's
//! status line on stderr, what the run produces (a dry run's steps, a plan summary, a bootstrap
//! report) on stdout. A CI step summary is another `Sink`, with no engine changed.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;

/// One thing an engine reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// How the run goes: `<target>: <text>`.
    Progress { target: &'a str, text: &'a str },
    /// What should be looked at and does not stop the run: `warning: <target>: <text>`.
    Warning { target: &'a str, text: &'a str },
    /// A status that the next one replaces (rewritten in place on a terminal).
    Status { target: &'a str, text: &'a str },
    /// The end of the status lines: an open one is closed.
    StatusEnd,
    /// Lines that go with the progress, verbatim (a findings table).
    ProgressText { text: &'a str },
    /// What the run produces, verbatim: a dry run's steps, a plan summary, a report.
    Output { text: &'a str },
}

/// Where events go.
pub trait Sink: Sync {
    fn emit(&self, event: Event<'_>);
}

/// Progress on stderr, output on stdout.
#[derive(Debug)]
pub struct Console {
    /// A status line is open on the terminal: the next line clears it first.
    open_line: Mutex<bool>,
}

static CONSOLE: Console = Console {
    open_line: Mutex::new(false),
};

/// The console sink.
pub fn console() -> &'static Console {
    &CONSOLE
}

impl Sink for Console {
    fn emit(&self, event: Event<'_>) {
        // A poisoned flag only means a writer panicked mid-line; the flag is still usable.
        let mut open = self.open_line.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = std::io::stderr().lock();
        let close = |err: &mut std::io::StderrLock<'_>, open: &mut bool| {
            if *open {
                let _ = write!(err, "\r\x1b[2K");
                *open = false;
            }
        };
        match event {
            Event::Progress { target, text } => {
                close(&mut err, &mut open);
                let _ = writeln!(err, "{target}: {text}");
            }
            Event::Warning { target, text } => {
                close(&mut err, &mut open);
                let _ = writeln!(err, "warning: {target}: {text}");
            }
            Event::Status { target, text } if err.is_terminal() => {
                let _ = write!(err, "\r\x1b[2K{target}: {text}");
                let _ = err.flush();
                *open = true;
            }
            Event::Status { target, text } => {
                let _ = writeln!(err, "{target}: {text}");
            }
            Event::StatusEnd => {
                if *open {
                    let _ = writeln!(err);
                    *open = false;
                }
            }
            Event::ProgressText { text } => {
                close(&mut err, &mut open);
                let _ = write!(err, "{text}");
            }
            Event::Output { text } => {
                drop(err);
                let mut out = std::io::stdout().lock();
                let _ = write!(out, "{text}");
                let _ = out.flush();
            }
        }
    }
}

/// What one target's engine reports through: the sink and the name every line starts with.
#[derive(Clone, Copy)]
pub struct Progress<'a> {
    sink: &'a dyn Sink,
    target: &'a str,
}

impl std::fmt::Debug for Progress<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl<'a> Progress<'a> {
    pub fn new(sink: &'a dyn Sink, target: &'a str) -> Progress<'a> {
        Progress { sink, target }
    }

    /// The target's progress on the console.
    pub fn console(target: &'a str) -> Progress<'a> {
        Progress::new(console(), target)
    }

    /// `<target>: <text>`.
    pub fn say(&self, text: &str) {
        self.sink.emit(Event::Progress {
            target: self.target,
            text,
        });
    }

    /// `warning: <target>: <text>`.
    pub fn warn(&self, text: &str) {
        self.sink.emit(Event::Warning {
            target: self.target,
            text,
        });
    }

    /// A status the next one replaces.
    pub fn status(&self, text: &str) {
        self.sink.emit(Event::Status {
            target: self.target,
            text,
        });
    }

    /// Closes an open status line.
    pub fn status_end(&self) {
        self.sink.emit(Event::StatusEnd);
    }

    /// Lines that go with the progress, verbatim.
    pub fn progress_text(&self, text: &str) {
        self.sink.emit(Event::ProgressText { text });
    }

    /// `<target>: <text>` as what the run produces.
    pub fn output(&self, text: &str) {
        self.sink.emit(Event::Output {
            text: &format!("{}: {text}\n", self.target),
        });
    }

    /// One line of what the run produces, as it is.
    pub fn output_line(&self, line: &str) {
        self.sink.emit(Event::Output {
            text: &format!("{line}\n"),
        });
    }

    /// What the run produces, verbatim.
    pub fn output_text(&self, text: &str) {
        self.sink.emit(Event::Output { text });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what it is told, as the console would write it.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Sink for Recorder {
        fn emit(&self, event: Event<'_>) {
            if let Ok(mut events) = self.0.lock() {
                events.push(format!("{event:?}"));
            }
        }
    }

    #[test]
    fn every_line_names_the_target() {
        let recorder = Recorder::default();
        let progress = Progress::new(&recorder, "api");
        progress.say("built");
        progress.warn("tag moved");
        progress.output("1. build");
        progress.output_line("  $ podman build");
        let events = recorder.0.lock().map(|e| e.clone()).unwrap_or_default();
        assert_eq!(
            events,
            [
                r#"Progress { target: "api", text: "built" }"#,
                r#"Warning { target: "api", text: "tag moved" }"#,
                r#"Output { text: "api: 1. build\n" }"#,
                r#"Output { text: "  $ podman build\n" }"#,
            ]
        );
    }
}
