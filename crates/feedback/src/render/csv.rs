//! The report as CSV: one row per stage and version (`kind` = `stage`), then one per cohort
//! (`kind` = `cohort`). Hidden figures are empty cells with the reason in `note`.

use butterboard_proto::feedback::v1 as pb;

use super::{CLASSES, cell};

const HEADER: [&str; 26] = [
    "kind",
    "stage_id",
    "stage_title",
    "scenario_version",
    "cohort",
    "requests",
    "answered",
    "response_rate",
    "average_rating",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
    "median_hours_to_answer",
    "attended_answered",
    "attended_average",
    "partial_answered",
    "partial_average",
    "missed_answered",
    "missed_average",
    "no_meeting_answered",
    "no_meeting_average",
    "weak",
    "suppressed",
    "note",
];

fn stage_record(row: &pb::StageRow) -> Vec<String> {
    let hidden = row.suppressed;
    let figure = |text: String| if hidden { String::new() } else { text };
    let mut record = vec![
        "stage".to_string(),
        row.stage_id.clone(),
        row.stage_title.clone(),
        row.scenario_version.to_string(),
        String::new(),
        row.requests.to_string(),
        figure(row.answered.to_string()),
        figure(format!("{:.4}", row.response_rate)),
        figure(if row.answered > 0 { format!("{:.4}", row.average_rating) } else { String::new() }),
    ];
    for i in 0..5 {
        record.push(figure(row.distribution.get(i).copied().unwrap_or(0).to_string()));
    }
    record.push(figure(if row.answered > 0 { format!("{:.2}", row.median_hours_to_answer) } else { String::new() }));
    for (class, _, _) in CLASSES {
        match cell(row, class).and_then(|c| c.ratings.as_ref()).filter(|r| !r.suppressed) {
            Some(r) => {
                record.push(r.answered.to_string());
                record.push(if r.answered > 0 { format!("{:.4}", r.average_rating) } else { String::new() });
            }
            None => record.extend([String::new(), String::new()]),
        }
    }
    record.extend([row.weak.to_string(), row.suppressed.to_string(), row.note.clone()]);
    record
}

fn cohort_record(row: &pb::CohortRow) -> Vec<String> {
    let hidden = row.suppressed;
    let figure = |text: String| if hidden { String::new() } else { text };
    let mut record = vec!["cohort".to_string(), String::new(), String::new(), String::new(), row.cohort.clone()];
    record.push(row.requests.to_string());
    record.push(figure(row.answered.to_string()));
    record.push(figure(format!("{:.4}", row.response_rate)));
    record.push(figure(if row.answered > 0 { format!("{:.4}", row.average_rating) } else { String::new() }));
    record.resize(HEADER.len() - 3, String::new());
    record.extend([String::new(), row.suppressed.to_string(), row.note.clone()]);
    record
}

/// The CSV text of `report` (RFC 4180 quoting by the `csv` crate).
pub fn csv(report: &pb::Report) -> anyhow::Result<String> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for row in &report.stages {
        writer.write_record(stage_record(row))?;
    }
    for row in &report.cohorts {
        writer.write_record(cohort_record(row))?;
    }
    Ok(String::from_utf8(writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?)
}
