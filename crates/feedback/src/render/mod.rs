//! A report as people read it: a table for the terminal, CSV for spreadsheets, and a
//! self-contained HTML page (inline CSS and SVG, no external assets) with a bar chart of the
//! stages by average rating and response rate, weak stages highlighted. All three render the API's
//! `Report` message, so the CLI (which fetches it over gRPC) and the API's CSV export print the
//! same thing.

mod csv;
mod html;
mod table;

use butterboard_proto::feedback::v1 as pb;

pub use csv::csv;
pub use html::html;
pub use table::table;

/// The report's output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Html,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            other => Err(format!("unknown format {other:?}: table, csv or html")),
        }
    }
}

/// Renders `report` as `format`.
pub fn render(report: &pb::Report, format: Format) -> anyhow::Result<String> {
    match format {
        Format::Table => Ok(table(report)),
        Format::Csv => csv(report),
        Format::Html => Ok(html(report)),
    }
}

/// The attendance classes in report order, with their column names and labels.
pub(crate) const CLASSES: [(pb::AttendanceClass, &str, &str); 4] = [
    (pb::AttendanceClass::Full, "attended", "attended"),
    (pb::AttendanceClass::Partial, "partial", "late/left early"),
    (pb::AttendanceClass::Missed, "missed", "missed"),
    (pb::AttendanceClass::NoMeeting, "no_meeting", "no meeting"),
];

pub(crate) fn cell(row: &pb::StageRow, class: pb::AttendanceClass) -> Option<&pb::AttendanceCell> {
    row.attendance.iter().find(|c| c.class == class as i32)
}

pub(crate) fn average(value: f64) -> String {
    format!("{value:.2}")
}

pub(crate) fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

pub(crate) fn hours(value: f64) -> String {
    format!("{value:.1}")
}

/// An attendance cell's average with its answer count (`4.50 (2)`), its note, or `-`.
pub(crate) fn cell_text(cell: Option<&pb::AttendanceCell>) -> String {
    match cell.and_then(|c| c.ratings.as_ref()) {
        None => "-".into(),
        Some(r) if r.suppressed => r.note.clone(),
        Some(r) if r.answered == 0 => "no answers".into(),
        Some(r) => format!("{} ({})", average(r.average_rating), r.answered),
    }
}
