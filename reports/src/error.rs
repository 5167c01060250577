//! The one error type of `ib-reports`.

use std::path::PathBuf;

/// Everything that can go wrong while rendering or writing a report.
///
/// Drawing errors from plotters are mapped into [`ReportError::Chart`], never unwrapped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// plotters failed while drawing a chart.
    #[error("could not draw chart '{chart}': {message}")]
    Chart {
        chart: &'static str,
        message: String,
    },
    /// A file or directory could not be written.
    #[error("could not write '{}': {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bundled font could not be registered with plotters.
    #[error("could not register the bundled font: {0}")]
    Font(String),
    /// The HTML template is malformed (a bug in this crate, not in the record).
    #[error("HTML template error: {0}")]
    Template(String),
    /// The record could not be serialised for display.
    #[error("could not serialise {what} for the report: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl ReportError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn chart(chart: &'static str, err: impl std::fmt::Display) -> Self {
        ReportError::Chart {
            chart,
            message: err.to_string(),
        }
    }
}
