//! The data stage: the Frictionless Data Package under `data/` (`package`),
//! Table Schema types and constraints (`schema`), and a streaming, typed,
//! validating CSV reader (`reader`), which also notes the identity of each
//! file it reads (`identity`). Every problem carries the resource,
//! file, record, line, field, value and the rule it broke.

pub mod identity;
pub mod package;
pub mod reader;
pub mod schema;
