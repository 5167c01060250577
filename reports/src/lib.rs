//! ib-reports: renders a [`record::RunRecord`] as charts (PNG + SVG) and a self-contained HTML page.
//! It computes nothing: every number shown comes from the record.

pub mod record;
