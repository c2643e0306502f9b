pub mod bad_input;
pub mod rbac;
