//! The report as one self-contained HTML page: inline CSS, an inline SVG bar chart (one bar per
//! stage for its average rating, a thin one beneath for its response rate, weak stages in a warning
//! colour) and the tables. No script, font or image is fetched from anywhere. maud escapes every
//! value written into the page, so stage titles from scenarios cannot inject markup.

use butterboard_proto::feedback::v1 as pb;
use maud::{DOCTYPE, Markup, PreEscaped, html as page};

use super::{CLASSES, average, cell, cell_text, hours, percent};

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2330}\
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}\
table{border-collapse:collapse;margin-top:.5rem}th,td{padding:.3rem .6rem;border-bottom:1px solid #dde1e8;text-align:right}\
th:first-child,td:first-child{text-align:left}tr.weak td{background:#fff1ef}\
.bar{fill:#3b6fd8}.bar.weak{fill:#d8553b}.rate{fill:#9fb6e8}.rate.weak{fill:#eaa797}\
.label{font-size:12px;fill:#1d2330}.value{font-size:11px;fill:#4a5366}.note{color:#6b7385;font-style:italic}";

const LABEL_WIDTH: f64 = 260.0;
const BAR_WIDTH: f64 = 400.0;
const ROW_HEIGHT: f64 = 34.0;

fn chart(stages: &[pb::StageRow]) -> Markup {
    let height = ROW_HEIGHT * stages.len() as f64 + 24.0;
    let width = LABEL_WIDTH + BAR_WIDTH + 140.0;
    page! {
        svg xmlns="http://www.w3.org/2000/svg" width=(width) height=(height) viewBox={"0 0 " (width) " " (height)}
            role="img" aria-label="Stages by average rating (bars, 0 to 5) and response rate (thin bars, 0 to 100%)" {
            @for (i, row) in stages.iter().enumerate() {
                @let y = 12.0 + ROW_HEIGHT * i as f64;
                @let shown = !row.suppressed && row.answered > 0;
                @let bar = if shown { BAR_WIDTH * row.average_rating / 5.0 } else { 0.0 };
                @let rate = if row.suppressed { 0.0 } else { BAR_WIDTH * row.response_rate };
                g.stage data-stage=(row.stage_id) data-version=(row.scenario_version) {
                    text.label x="0" y=(y + 14.0) { (row.stage_title) " (v" (row.scenario_version) ")" }
                    rect.bar.weak[row.weak] x=(LABEL_WIDTH) y=(y) width=(format!("{bar:.1}")) height="16" {}
                    rect.rate.weak[row.weak] x=(LABEL_WIDTH) y=(y + 18.0) width=(format!("{rate:.1}")) height="5" {}
                    text.value x=(LABEL_WIDTH + bar.max(rate) + 6.0) y=(y + 14.0) {
                        @if row.suppressed { (row.note) }
                        @else if row.answered == 0 { "no answers · " (percent(row.response_rate)) }
                        @else { (average(row.average_rating)) " · " (percent(row.response_rate)) }
                    }
                }
            }
        }
    }
}

fn stage_table(stages: &[pb::StageRow]) -> Markup {
    page! {
        table.stages {
            thead { tr {
                th { "stage" } th { "version" } th { "requests" } th { "answered" } th { "response rate" }
                th { "average" } th { "1" } th { "2" } th { "3" } th { "4" } th { "5" } th { "median hours" }
                @for (_, _, label) in CLASSES { th { (label) } }
            } }
            tbody {
                @for row in stages {
                    tr.weak[row.weak] {
                        td { (row.stage_title) }
                        td { (row.scenario_version) }
                        td { (row.requests) }
                        @if row.suppressed {
                            td.note colspan="9" { (row.note) }
                        } @else {
                            td { (row.answered) }
                            td { (percent(row.response_rate)) }
                            td { @if row.answered > 0 { (average(row.average_rating)) } @else { "-" } }
                            @for n in &row.distribution { td { (n) } }
                            td { @if row.answered > 0 { (hours(row.median_hours_to_answer)) } @else { "-" } }
                        }
                        @for (class, _, _) in CLASSES { td { (cell_text(cell(row, class))) } }
                    }
                }
            }
        }
    }
}

fn cohort_table(cohorts: &[pb::CohortRow]) -> Markup {
    page! {
        table.cohorts {
            thead { tr { th { "cohort" } th { "requests" } th { "answered" } th { "response rate" } th { "average" } } }
            tbody {
                @for c in cohorts {
                    tr {
                        td { (c.cohort) } td { (c.requests) }
                        @if c.suppressed { td.note colspan="3" { (c.note) } }
                        @else {
                            td { (c.answered) } td { (percent(c.response_rate)) }
                            td { @if c.answered > 0 { (average(c.average_rating)) } @else { "-" } }
                        }
                    }
                }
            }
        }
    }
}

/// The page for `report`.
pub fn html(report: &pb::Report) -> String {
    let name = if report.scenario_name.is_empty() { &report.scenario_id } else { &report.scenario_name };
    page! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Onboarding feedback: " (name) }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { "Onboarding feedback: " (name) }
                p { "Stages weakest first. Bars: average rating (0 to 5); thin bars: response rate. Weak stages (an average below 3.5 or a response rate below 50%) are highlighted." }
                (chart(&report.stages))
                h2 { "Stages" }
                (stage_table(&report.stages))
                h2 { "Cohorts (start month)" }
                (cohort_table(&report.cohorts))
            }
        }
    }
    .into_string()
}
