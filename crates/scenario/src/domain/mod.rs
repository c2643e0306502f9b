//! The rules, without I/O: parsing input into checked values, due dates, versions, cohorts and
//! the decisions events and calls lead to. Everything here is a pure function of its arguments.

pub mod assignment;
pub mod cohort;
pub mod draft;
pub mod instance;
pub mod people;
pub mod scenario;
pub mod timing;
pub mod validation;
