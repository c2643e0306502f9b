//! The orchestrator's rules, pure: no I/O, no clock. What a stage's resolution and a request
//! become as a meeting ([`plan`], its [`agenda`]), who may do what ([`access`]), and what
//! participant joins and leaves mean as attendance ([`attendance`]).

pub mod access;
pub mod agenda;
pub mod attendance;
pub mod meeting;
pub mod plan;
pub mod stage;

pub use butterboard_runtime::error::Violation;
