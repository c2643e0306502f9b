pub mod bad_input;
pub mod nesting;
pub mod privacy;
pub mod rbac;
