//! The rules, pure: no store, no bus, no clock — values in, decisions out.
//!
//! - [`calendar`]: business days in the employee's time zone (weekends and configured holidays
//!   off) and local wall-clock times turned into instants across DST changes.
//! - [`schedule`]: a request's deadline and its reminders.
//! - [`request`]: what a stage event asks for (one request per new employee and stage instance)
//!   and how the employee took part in the meeting.
//! - [`answer`]: the validation of an answer and of a manager's note.
//! - [`report`] and [`anonymity`]: the report's figures and what a manager may see of them.

pub mod anonymity;
pub mod answer;
pub mod calendar;
pub mod report;
pub mod request;
pub mod schedule;

#[cfg(test)]
mod calendar_tests;
#[cfg(test)]
mod report_tests;
