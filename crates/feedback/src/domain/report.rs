//! The report's figures, from the counts the store groups (one row per stage, version, cohort,
//! attendance class, status and rating) and the median time to answer per stage and version.
//!
//! Per stage and version: requests, answers, response rate, average and distribution of ratings,
//! median time to answer, and the same ratings split by attendance (did those who missed or left
//! the meeting early rate it lower?). Per cohort (start month): requests, response rate, average.
//! Rows come weakest first: the lowest average, then the lowest response rate; rows without a
//! shown average follow, hidden ones last. A row is weak when its average is below
//! [`WEAK_AVERAGE`] or its response rate below [`WEAK_RESPONSE_RATE`].

use std::collections::{BTreeMap, HashMap};

use super::anonymity::Audience;
use super::request::{AttendanceClass, RequestStatus};

pub const WEAK_AVERAGE: f64 = 3.5;
pub const WEAK_RESPONSE_RATE: f64 = 0.5;

/// Requests of one combination, as the store counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub stage_id: String,
    pub stage_title: String,
    pub scenario_version: u32,
    pub cohort: String,
    pub attendance: AttendanceClass,
    pub status: RequestStatus,
    /// Set for answered requests.
    pub rating: Option<u32>,
    pub count: u64,
}

/// Median milliseconds from request to answer, per (stage id, version).
pub type Medians = HashMap<(String, u32), f64>;

/// Answers counted by rating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ratings {
    /// How many answers gave 1, 2, 3, 4 and 5.
    pub distribution: [u64; 5],
}

impl Ratings {
    fn add(&mut self, rating: u32, count: u64) {
        if let Some(slot) = rating.checked_sub(1).and_then(|i| self.distribution.get_mut(i as usize)) {
            *slot += count;
        }
    }

    pub fn answered(&self) -> u64 {
        self.distribution.iter().sum()
    }

    pub fn average(&self) -> Option<f64> {
        let answered = self.answered();
        let sum: u64 = self.distribution.iter().zip(1u64..).map(|(n, r)| n * r).sum();
        (answered > 0).then(|| sum as f64 / answered as f64)
    }
}

/// Requests and their ratings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    requests: u64,
    ratings: Ratings,
}

impl Tally {
    fn add(&mut self, group: &Group) {
        self.requests += group.count;
        if let (RequestStatus::Answered, Some(rating)) = (group.status, group.rating) {
            self.ratings.add(rating, group.count);
        }
    }

    fn response_rate(&self) -> f64 {
        if self.requests == 0 { 0.0 } else { self.ratings.answered() as f64 / self.requests as f64 }
    }
}

/// Figures shown for a group of answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub answered: u64,
    pub response_rate: f64,
    pub average: Option<f64>,
    pub distribution: [u64; 5],
}

impl Figures {
    fn of(tally: &Tally) -> Self {
        Figures {
            answered: tally.ratings.answered(),
            response_rate: tally.response_rate(),
            average: tally.ratings.average(),
            distribution: tally.ratings.distribution,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceCell {
    pub class: AttendanceClass,
    pub requests: u64,
    /// `None`: hidden from this reader.
    pub figures: Option<Figures>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageRow {
    pub stage_id: String,
    pub stage_title: String,
    pub scenario_version: u32,
    pub requests: u64,
    /// `None`: hidden from this reader (fewer answers than the threshold).
    pub figures: Option<Figures>,
    pub median_hours_to_answer: Option<f64>,
    pub attendance: Vec<AttendanceCell>,
    pub weak: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CohortRow {
    pub cohort: String,
    pub requests: u64,
    pub figures: Option<Figures>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub stages: Vec<StageRow>,
    pub cohorts: Vec<CohortRow>,
    pub audience: Audience,
}

impl Report {
    /// What a hidden figure reads as.
    pub fn note(&self) -> String {
        self.audience.note()
    }
}

#[derive(Default)]
struct StageTally {
    title: String,
    total: Tally,
    by_class: BTreeMap<AttendanceClass, Tally>,
}

/// Builds the report `audience` may read from the grouped counts and the medians.
pub fn build(groups: &[Group], medians: &Medians, audience: Audience) -> Report {
    let mut stages: BTreeMap<(String, u32), StageTally> = BTreeMap::new();
    let mut cohorts: BTreeMap<String, Tally> = BTreeMap::new();
    for group in groups {
        let stage = stages.entry((group.stage_id.clone(), group.scenario_version)).or_default();
        if stage.title.is_empty() {
            stage.title = group.stage_title.clone();
        }
        stage.total.add(group);
        stage.by_class.entry(group.attendance).or_default().add(group);
        cohorts.entry(group.cohort.clone()).or_default().add(group);
    }
    let shown = |tally: &Tally| audience.reveals(tally.ratings.answered()).then(|| Figures::of(tally));
    let mut rows: Vec<StageRow> = stages
        .into_iter()
        .map(|((stage_id, scenario_version), stage)| {
            let figures = shown(&stage.total);
            let median = figures
                .as_ref()
                .and_then(|_| medians.get(&(stage_id.clone(), scenario_version)))
                .map(|ms| ms / 3_600_000.0);
            let weak = figures.as_ref().is_some_and(|f| {
                f.average.is_some_and(|a| a < WEAK_AVERAGE)
                    || (stage.total.requests > 0 && f.response_rate < WEAK_RESPONSE_RATE)
            });
            StageRow {
                stage_id,
                stage_title: stage.title,
                scenario_version,
                requests: stage.total.requests,
                median_hours_to_answer: median,
                attendance: stage
                    .by_class
                    .iter()
                    .map(|(class, tally)| AttendanceCell {
                        class: *class,
                        requests: tally.requests,
                        figures: shown(tally),
                    })
                    .collect(),
                figures,
                weak,
            }
        })
        .collect();
    rows.sort_by(weakest_first);
    let cohorts = cohorts
        .into_iter()
        .map(|(cohort, tally)| CohortRow { cohort, requests: tally.requests, figures: shown(&tally) })
        .collect();
    Report { stages: rows, cohorts, audience }
}

/// Lowest average first, then lowest response rate; rows with figures but no answers next, hidden
/// rows last; ties in stage id and version order, so the order is stable.
fn weakest_first(a: &StageRow, b: &StageRow) -> std::cmp::Ordering {
    let rank = |row: &StageRow| match &row.figures {
        Some(Figures { average: Some(_), .. }) => 0,
        Some(_) => 1,
        None => 2,
    };
    let average = |row: &StageRow| row.figures.as_ref().and_then(|f| f.average).unwrap_or(0.0);
    let rate = |row: &StageRow| row.figures.as_ref().map_or(0.0, |f| f.response_rate);
    rank(a)
        .cmp(&rank(b))
        .then(average(a).total_cmp(&average(b)))
        .then(rate(a).total_cmp(&rate(b)))
        .then_with(|| a.stage_id.cmp(&b.stage_id))
        .then(a.scenario_version.cmp(&b.scenario_version))
}
