pub mod bad_input;
pub mod privacy;
pub mod rbac;
