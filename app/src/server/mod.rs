//! Server-only code: application state, sessions, authentication, audit and data access.
//! Nothing here is compiled into the browser bundle.

pub mod attempts;
pub mod audit;
pub mod auth;
pub mod content_store;
pub mod db;
pub mod markdown;
pub mod session_store;
pub mod state;
pub mod units;
pub mod users;

pub use state::{AppState, AuthConfig, Backend};
