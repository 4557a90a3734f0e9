//! Server side of accounts: the login policy (rate limit, lockout, timing-safe failure) and password changes.

use crate::domain::{NewPassword, Username};
use crate::error::AppError;
use crate::server::audit::{self, Actor};
use crate::server::auth::{self, SESSION_AUTH_AT, SESSION_USER};
use crate::server::state::app_state;
use crate::server::{db, users};

/// Checks the credentials and starts a session; returns where to go next.
pub async fn login(username: &str, password: &str) -> Result<&'static str, AppError> {
    let state = app_state()?;
    let ip = auth::client_ip().await;
    if state.login_limiter.check_key(&ip).is_err() {
        tracing::warn!(%ip, "login rate limit");
        return Err(AppError::RateLimited);
    }
    let now = db::now();
    let name = Username::parse(username)
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default();
    let mut conn = state.pool.acquire().await?;
    let row = if name.is_empty() {
        None
    } else {
        users::find_login(&mut conn, &name).await?
    };
    // Unknown users are checked against a dummy hash so both failures take the same time.
    let verified = auth::verify_password(
        row.as_ref().map(|r| r.password_hash.clone()),
        password.to_owned(),
    )
    .await?;
    let attempt = Actor {
        user_id: row.as_ref().map(|r| r.user_id),
        username: Some(name.clone()),
        ip: ip.clone(),
    };
    let scope = row
        .as_ref()
        .map(|r| r.unit_path.clone())
        .unwrap_or_else(|| "/".into());
    let scope = scope.as_str();

    let Some(row) = row else {
        audit::record(
            &mut conn,
            &attempt,
            "login.failure",
            &name,
            "unknown user",
            "/",
        )
        .await?;
        return Err(AppError::BadCredentials);
    };
    if row.locked_until.is_some_and(|until| until > now) {
        audit::record(
            &mut conn,
            &attempt,
            "login.locked",
            &name,
            "account locked",
            scope,
        )
        .await?;
        return Err(AppError::AccountLocked);
    }
    if !verified {
        let cfg = &state.auth;
        let locked = users::record_failure(
            &mut conn,
            &row,
            now,
            cfg.lockout_threshold,
            cfg.lockout_window.as_secs() as i64,
            cfg.lockout_duration.as_secs() as i64,
        )
        .await?;
        let detail = if locked {
            "wrong password; account locked"
        } else {
            "wrong password"
        };
        audit::record(&mut conn, &attempt, "login.failure", &name, detail, scope).await?;
        return Err(if locked {
            AppError::AccountLocked
        } else {
            AppError::BadCredentials
        });
    }
    if row.active == 0 {
        audit::record(
            &mut conn,
            &attempt,
            "login.disabled",
            &name,
            "account disabled",
            scope,
        )
        .await?;
        return Err(AppError::AccountDisabled);
    }
    users::record_success(&mut conn, row.user_id, now).await?;
    audit::record(&mut conn, &attempt, "login.success", &name, "", scope).await?;

    let session = auth::session().await?;
    // A fresh id at login defeats session fixation.
    session.cycle_id().await?;
    session.insert(SESSION_USER, row.user_id).await?;
    session.insert(SESSION_AUTH_AT, now).await?;
    Ok(if row.must_change_password != 0 {
        "/account/password"
    } else {
        "/"
    })
}

pub async fn logout() -> Result<(), AppError> {
    let session = auth::session().await?;
    if let Some(user) = auth::current_user().await? {
        let state = app_state()?;
        let mut conn = state.pool.acquire().await?;
        audit::by(
            &mut conn,
            &user,
            "logout",
            &user.username,
            "",
            &user.unit_path,
        )
        .await?;
    }
    session.flush().await?;
    Ok(())
}

pub async fn change_password(
    current: &str,
    new_password: &str,
    confirm: &str,
) -> Result<(), AppError> {
    let user = auth::current_user()
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let new = NewPassword::parse(new_password).map_err(|e| AppError::invalid("new_password", e))?;
    if new_password != confirm {
        return Err(AppError::field("confirm", "err.password_confirm"));
    }
    if current == new_password {
        return Err(AppError::field("new_password", "err.password_same"));
    }
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let stored = users::password_hash(&mut conn, user.id).await?;
    if !auth::verify_password(stored, current.to_owned()).await? {
        return Err(AppError::field("current", "err.password_current"));
    }
    let hash = auth::hash_password(&new).await?;
    let session = auth::session().await?;
    let keep = session.id().map(|id| id.to_string());
    let mut tx = state.pool.begin().await?;
    users::set_password(&mut tx, user.id, &hash, false).await?;
    // Other devices logged in with the old password are signed out.
    users::end_sessions(&mut tx, user.id, keep.as_deref()).await?;
    audit::by(
        &mut tx,
        &user,
        "password.change",
        &user.username,
        "",
        &user.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
