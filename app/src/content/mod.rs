//! Content as data: the file format (`model`), the checks that keep it right (`check`, `graph`), and the
//! import into versioned database rows (`import`). Server-side only.

pub mod check;
pub mod engine;
pub mod fines;
pub mod graph;
pub mod model;
pub mod search;
