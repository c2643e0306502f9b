//! The report as a table for the terminal. Written by hand: a handful of fixed columns padded to
//! their widest cell is all a terminal needs, and no table crate is worth a dependency for it.

use butterboard_proto::feedback::v1 as pb;

use super::{CLASSES, average, cell, cell_text, hours, percent};

fn render(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, text) in row.iter().enumerate() {
            widths[i] = widths[i].max(text.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(text, w)| format!("{text}{}", " ".repeat(w - text.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = line(header);
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

fn stage_cells(row: &pb::StageRow) -> Vec<String> {
    let mark = if row.weak { "! " } else { "  " };
    let mut cells =
        vec![format!("{mark}{}", row.stage_title), row.scenario_version.to_string(), row.requests.to_string()];
    if row.suppressed {
        cells.push(row.note.clone());
        cells.resize(7, String::new());
    } else {
        let dist = row.distribution.iter().map(u32::to_string).collect::<Vec<_>>().join("/");
        cells.extend([
            row.answered.to_string(),
            percent(row.response_rate),
            if row.answered > 0 { average(row.average_rating) } else { "-".into() },
            dist,
        ]);
    }
    cells.push(if row.suppressed || row.answered == 0 { String::new() } else { hours(row.median_hours_to_answer) });
    for (class, _, _) in CLASSES {
        cells.push(cell_text(cell(row, class)));
    }
    cells
}

/// Stages weakest first (weak ones marked `!`), then the cohorts.
pub fn table(report: &pb::Report) -> String {
    let mut header: Vec<String> =
        ["stage", "v", "requests", "answered", "rate", "average", "1/2/3/4/5", "median h"].map(String::from).to_vec();
    header.extend(CLASSES.iter().map(|(_, _, label)| label.to_string()));
    let rows: Vec<Vec<String>> = report.stages.iter().map(stage_cells).collect();
    let name = if report.scenario_name.is_empty() { &report.scenario_id } else { &report.scenario_name };
    let mut out = format!("{name}: feedback by stage, weakest first (! = weak)\n\n");
    out.push_str(&render(&header, &rows));
    let header: Vec<String> = ["cohort", "requests", "answered", "rate", "average"].map(String::from).to_vec();
    let rows: Vec<Vec<String>> = report
        .cohorts
        .iter()
        .map(|c| {
            if c.suppressed {
                vec![c.cohort.clone(), c.requests.to_string(), c.note.clone(), String::new(), String::new()]
            } else {
                vec![
                    c.cohort.clone(),
                    c.requests.to_string(),
                    c.answered.to_string(),
                    percent(c.response_rate),
                    if c.answered > 0 { average(c.average_rating) } else { "-".into() },
                ]
            }
        })
        .collect();
    out.push_str("\nby cohort (start month)\n\n");
    out.push_str(&render(&header, &rows));
    out
}
