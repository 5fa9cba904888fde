//! What the test process logged ([`capture_logs`]), for tests that check what
//! logs must never contain (passwords, tokens).

use std::sync::{Arc, Mutex, OnceLock};

/// The bytes every captured log line is appended to.
type Buffer = Arc<Mutex<Vec<u8>>>;

/// Everything the process logged at DEBUG and above since [`capture_logs`] was
/// first called, for tests that check what logs must never contain.
pub struct LogCapture(Buffer);

/// The process's one capture buffer, set by the first [`capture_logs`].
static CAPTURED: OnceLock<Buffer> = OnceLock::new();

/// The subscriber's writer: appends to the capture buffer.
#[derive(Clone)]
struct CaptureWriter(Buffer);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per process) the services' subscriber, with trace context as
/// they have it, recording every log line as JSON (spans and their fields
/// listed, `trace_id` among them). Call it before starting services; if another
/// subscriber was installed first (`TEST_LOG`), nothing is captured, which
/// [`LogCapture::contents`] users should detect by looking for a line they know
/// was logged.
pub fn capture_logs() -> LogCapture {
    let buffer = CAPTURED.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = CaptureWriter(buffer.clone());
        let export = runtime::trace::Export::Nowhere;
        runtime::telemetry::install_capture(&export, move || writer.clone());
        buffer
    });
    LogCapture(buffer.clone())
}

impl LogCapture {
    /// The lines logged so far that contain `text`, parsed.
    pub fn lines_with(&self, text: &str) -> Vec<serde_json::Value> {
        let contents = self.contents();
        let lines = contents.lines().filter(|line| line.contains(text));
        lines
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// What was logged so far.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}
