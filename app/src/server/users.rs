//! Data access for accounts: login state, the current user, and admin listing and editing.

use super::auth::CurrentUser;
use crate::domain::Role;
use sqlx::{AnyConnection, Row};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LoginRow {
    pub user_id: i64,
    pub username: String,
    pub password_hash: String,
    pub active: i64,
    pub failed_logins: i64,
    pub first_failed_at: Option<i64>,
    pub locked_until: Option<i64>,
    pub must_change_password: i64,
    pub unit_path: String,
}

pub async fn find_login(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<Option<LoginRow>, sqlx::Error> {
    sqlx::query_as(
        "select u.user_id, u.username, u.password_hash, u.active, u.failed_logins, u.first_failed_at, \
         u.locked_until, u.must_change_password, un.path as unit_path \
         from app_user u join unit un on un.unit_id = u.unit_id where u.username = $1",
    )
    .bind(username)
    .fetch_optional(conn)
    .await
}

/// Counts a failed login; the `threshold`-th failure within `window` seconds locks the account.
/// Returns true when this failure locked it.
pub async fn record_failure(
    conn: &mut AnyConnection,
    row: &LoginRow,
    now: i64,
    threshold: i64,
    window: i64,
    lock_for: i64,
) -> Result<bool, sqlx::Error> {
    let in_window = row.first_failed_at.is_some_and(|t| now - t <= window);
    let (count, first) = if in_window {
        (row.failed_logins + 1, row.first_failed_at)
    } else {
        (1, Some(now))
    };
    let lock = count >= threshold;
    sqlx::query(
        "update app_user set failed_logins = $1, first_failed_at = $2, locked_until = $3 where user_id = $4",
    )
    .bind(if lock { 0 } else { count })
    .bind(if lock { None } else { first })
    .bind(if lock { Some(now + lock_for) } else { row.locked_until })
    .bind(row.user_id)
    .execute(conn)
    .await?;
    Ok(lock)
}

pub async fn record_success(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update app_user set failed_logins = 0, first_failed_at = null, locked_until = null, last_login_at = $1 \
         where user_id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn roles_of(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<Role>, sqlx::Error> {
    let rows = sqlx::query("select role from user_role where user_id = $1 order by role")
        .bind(user_id)
        .fetch_all(conn)
        .await?;
    let mut roles: Vec<Role> = rows
        .iter()
        .filter_map(|r| r.try_get::<String, _>("role").ok())
        .filter_map(|r| Role::parse(&r).ok())
        .collect();
    roles.sort();
    Ok(roles)
}

/// The active user with this id, with roles and unit.
pub async fn load_current(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Option<CurrentUser>, sqlx::Error> {
    let row = sqlx::query(
        "select u.user_id, u.username, u.display_name, u.unit_id, un.path, un.name as unit_name, \
         u.must_change_password from app_user u join unit un on un.unit_id = u.unit_id \
         where u.user_id = $1 and u.active = 1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let roles = roles_of(conn, user_id).await?;
    Ok(Some(CurrentUser {
        id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        unit_id: row.try_get("unit_id")?,
        unit_path: row.try_get("path")?,
        unit_name: row.try_get("unit_name")?,
        roles,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
    }))
}

/// A new account, already validated.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub roles: Vec<Role>,
    pub cert_no: Option<String>,
    pub password_hash: String,
    pub must_change_password: bool,
}

/// Inserts a user; a duplicate username comes back as a unique violation for the caller to name.
pub async fn insert(conn: &mut AnyConnection, user: &NewUser) -> Result<i64, sqlx::Error> {
    let now = super::db::now();
    let id: i64 = sqlx::query_scalar(
        "insert into app_user (username, display_name, unit_id, password_hash, must_change_password, cert_no, \
         active, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, 1, $7, $7) returning user_id",
    )
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(user.unit_id)
    .bind(&user.password_hash)
    .bind(i64::from(user.must_change_password))
    .bind(user.cert_no.as_deref())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    set_roles(conn, id, &user.roles).await?;
    Ok(id)
}

pub async fn set_roles(
    conn: &mut AnyConnection,
    user_id: i64,
    roles: &[Role],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from user_role where user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for role in roles {
        sqlx::query("insert into user_role (user_id, role) values ($1, $2)")
            .bind(user_id)
            .bind(role.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn username_exists(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("select count(*) from app_user where username = $1")
        .bind(username)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// One row of the admin's user list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserListRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_path: String,
    pub cert_no: Option<String>,
    pub active: i64,
    pub must_change_password: i64,
    pub locked_until: Option<i64>,
    pub last_login_at: Option<i64>,
}

const USER_LIST_COLUMNS: &str = "select u.user_id, u.username, u.display_name, u.unit_id, un.name as unit_name, \
     un.path as unit_path, u.cert_no, u.active, u.must_change_password, u.locked_until, u.last_login_at \
     from app_user u join unit un on un.unit_id = u.unit_id";

/// Users in the subtree, optionally filtered by a search text over username, name and certificate number.
pub async fn list(
    conn: &mut AnyConnection,
    scope_root: &str,
    query: &str,
    limit: i64,
) -> Result<Vec<UserListRow>, sqlx::Error> {
    let pattern = format!("%{}%", query.trim().to_lowercase());
    sqlx::query_as(&format!(
        "{USER_LIST_COLUMNS} where un.path like $1 || '%' and (lower(u.username) like $2 or \
         lower(u.display_name) like $2 or lower(coalesce(u.cert_no, '')) like $2) \
         order by un.path, u.username limit $3"
    ))
    .bind(scope_root)
    .bind(pattern)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn get(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Option<UserListRow>, sqlx::Error> {
    sqlx::query_as(&format!("{USER_LIST_COLUMNS} where u.user_id = $1"))
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

pub async fn update(
    conn: &mut AnyConnection,
    user_id: i64,
    display_name: &str,
    unit_id: i64,
    cert_no: Option<&str>,
    active: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update app_user set display_name = $1, unit_id = $2, cert_no = $3, active = $4, updated_at = $5 \
         where user_id = $6",
    )
    .bind(display_name)
    .bind(unit_id)
    .bind(cert_no)
    .bind(i64::from(active))
    .bind(super::db::now())
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_password(
    conn: &mut AnyConnection,
    user_id: i64,
    hash: &str,
    must_change: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update app_user set password_hash = $1, must_change_password = $2, failed_logins = 0, \
         first_failed_at = null, locked_until = null, updated_at = $3 where user_id = $4",
    )
    .bind(hash)
    .bind(i64::from(must_change))
    .bind(super::db::now())
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn password_hash(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select password_hash from app_user where user_id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// Ends every session of a user except, optionally, one (a password change keeps the changer's own).
pub async fn end_sessions(
    conn: &mut AnyConnection,
    user_id: i64,
    keep: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from session where user_id = $1 and session_id <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(conn)
        .await?;
    Ok(())
}
