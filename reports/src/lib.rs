//! ib-reports: renders a [`record::RunRecord`] as charts (PNG + SVG) and a self-contained HTML page.
//! It computes nothing: every number shown comes from the record.
//!
//! ```no_run
//! # fn main() -> Result<(), ib_reports::ReportError> {
//! # let record: ib_reports::record::RunRecord = unimplemented!();
//! let files = ib_reports::write_report(&record, std::path::Path::new("runs/demo"))?;
//! println!("{}", files.html.display());
//! # Ok(()) }
//! ```

pub mod atomic;
pub mod charts;
pub mod error;
pub mod format;
pub mod html;
pub mod panel;
pub mod record;

pub use charts::{render_svgs, write_pngs, Chart, CHART_NAMES};
pub use error::ReportError;
pub use html::render_html;

use record::RunRecord;
use std::path::{Path, PathBuf};

/// The files [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    /// `OUT/report.html`.
    pub html: PathBuf,
    /// `OUT/charts/<name>.svg`, in chart order.
    pub svgs: Vec<PathBuf>,
    /// `OUT/charts/<name>.png`, in chart order.
    pub pngs: Vec<PathBuf>,
}

impl ReportFiles {
    /// Every path, HTML first.
    pub fn all(&self) -> impl Iterator<Item = &PathBuf> {
        std::iter::once(&self.html)
            .chain(self.svgs.iter())
            .chain(self.pngs.iter())
    }
}

/// Write `charts/<name>.svg`, `charts/<name>.png` and `report.html` into `out_dir` (created if
/// missing). Every file is written atomically ([`atomic::write`]).
pub fn write_report(record: &RunRecord, out_dir: &Path) -> Result<ReportFiles, ReportError> {
    let chart_dir = out_dir.join("charts");
    std::fs::create_dir_all(&chart_dir).map_err(|e| ReportError::io(&chart_dir, e))?;
    let charts = render_svgs(record)?;
    let mut svgs = Vec::with_capacity(charts.len());
    for c in &charts {
        let path = chart_dir.join(format!("{}.svg", c.name));
        atomic::write(&path, c.svg.as_bytes()).map_err(|e| ReportError::io(&path, e))?;
        svgs.push(path);
    }
    let pngs = write_pngs(record, &chart_dir)?;
    let page = render_html(record, &charts)?;
    let html = out_dir.join("report.html");
    atomic::write(&html, page.as_bytes()).map_err(|e| ReportError::io(&html, e))?;
    Ok(ReportFiles { html, svgs, pngs })
}
