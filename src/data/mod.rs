//! The data stage: the Frictionless Data Package under `data/` (`package`),
//! Table Schema types and constraints (`schema`), and a streaming, typed,
//! validating CSV reader (`reader`). Every problem carries the resource,
//! file, record, line, field, value and the rule it broke.

pub mod package;
pub mod reader;
pub mod schema;
