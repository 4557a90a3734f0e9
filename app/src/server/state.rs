//! State every server function reaches through context: the pool, the auth settings and the login limiter.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sqlx::AnyPool;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, or `None` for a scheme we do not serve.
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// How logins and sessions behave; defaults follow the policy and can be tightened by config.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// Session ends after this long without a request.
    pub idle_timeout: Duration,
    /// Session ends this long after login, however active.
    pub absolute_timeout: Duration,
    /// Failed logins within `lockout_window` that lock the account.
    pub lockout_threshold: i64,
    pub lockout_window: Duration,
    pub lockout_duration: Duration,
    /// Login attempts one IP address may make per minute.
    pub login_attempts_per_minute: u32,
    /// Mark the cookie `Secure` (set when served over TLS).
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 3600),
            lockout_threshold: 5,
            lockout_window: Duration::from_secs(15 * 60),
            lockout_duration: Duration::from_secs(15 * 60),
            login_attempts_per_minute: 30,
            secure_cookies: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub pool: AnyPool,
    pub backend: Backend,
    pub auth: Arc<AuthConfig>,
    pub login_limiter: Arc<DefaultKeyedRateLimiter<String>>,
    /// Seconds between a lesson page's reading-time heartbeats.
    pub heartbeat: i64,
    /// Where uploaded lesson videos are kept.
    pub media_dir: std::path::PathBuf,
    /// Commits exam answers in groups (see `competition::exam`).
    pub exam_writer: Arc<crate::competition::exam::Writer>,
}

impl AppState {
    pub fn new(pool: AnyPool, backend: Backend, auth: AuthConfig) -> AppState {
        let per_minute =
            NonZeroU32::new(auth.login_attempts_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::keyed(Quota::per_minute(per_minute));
        AppState {
            pool,
            backend,
            auth: Arc::new(auth),
            login_limiter: Arc::new(limiter),
            heartbeat: 20,
            media_dir: std::path::PathBuf::from("data/media"),
            exam_writer: Arc::default(),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// The state of the running app, from the server function's context.
pub fn app_state() -> Result<AppState, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        crate::error::AppError::internal("app state", "AppState missing from context")
    })
}
