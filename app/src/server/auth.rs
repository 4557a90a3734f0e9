//! Who is asking: the session's user, their roles and unit scope, and password hashing.
//! Every server function that needs a person calls `require_user` or `require_admin` first.

use crate::domain::{NewPassword, Role};
use crate::error::AppError;
use crate::server::state::app_state;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;
use tower_sessions::Session;

/// Session keys.
pub const SESSION_USER: &str = "uid";
pub const SESSION_AUTH_AT: &str = "auth_at";

/// The logged-in person, as loaded for this request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub unit_name: String,
    pub roles: Vec<Role>,
    pub must_change_password: bool,
}

impl CurrentUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// True when `path` is this user's unit or below it.
    pub fn scopes(&self, path: &str) -> bool {
        crate::domain::in_subtree(&self.unit_path, path)
    }

    pub fn actor(&self, ip: String) -> super::audit::Actor {
        super::audit::Actor {
            user_id: Some(self.id),
            username: Some(self.username.clone()),
            ip,
        }
    }
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| AppError::internal("session extractor", e))
}

/// The client's address, for the rate limit and the audit log.
pub async fn client_ip() -> String {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    match leptos_axum::extract::<ConnectInfo<SocketAddr>>().await {
        Ok(ConnectInfo(addr)) => addr.ip().to_string(),
        Err(_) => "unknown".to_owned(),
    }
}

/// The user behind this request's session, if the session is valid. Expired or disabled sessions are ended.
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    let session = session().await?;
    let Some(user_id) = session.get::<i64>(SESSION_USER).await? else {
        return Ok(None);
    };
    let state = app_state()?;
    let auth_at = session.get::<i64>(SESSION_AUTH_AT).await?.unwrap_or(0);
    if super::db::now() - auth_at > state.auth.absolute_timeout.as_secs() as i64 {
        session.flush().await?;
        return Ok(None);
    }
    let mut conn = state.pool.acquire().await?;
    let user = super::users::load_current(&mut conn, user_id).await?;
    if user.is_none() {
        session.flush().await?;
    }
    Ok(user)
}

/// The logged-in user, who has set their own password.
pub async fn require_user() -> Result<CurrentUser, AppError> {
    let user = current_user().await?.ok_or(AppError::Unauthenticated)?;
    if user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(user)
}

pub async fn require_role(role: Role) -> Result<CurrentUser, AppError> {
    let user = require_user().await?;
    if !user.has(role) {
        return Err(AppError::Forbidden);
    }
    Ok(user)
}

pub async fn require_admin() -> Result<CurrentUser, AppError> {
    require_role(Role::Admin).await
}

/// Argon2id with the OWASP-recommended parameters (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password off the async threads.
pub async fn hash_password(password: &NewPassword) -> Result<String, AppError> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::internal("hash task", e))?
    .map_err(|e| AppError::internal("hash password", e))
}

/// A hash no password matches, checked for unknown users so they take as long as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(b"no-such-user-timing-guard", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Checks a password against a stored hash (or the dummy hash when `hash` is `None`), off the async threads.
pub async fn verify_password(hash: Option<String>, candidate: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        hasher()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| AppError::internal("verify task", e))
}
