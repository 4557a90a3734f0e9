//! The audit log: every login, logout and administrative change, who did it, from where, and in which unit.

use sqlx::AnyConnection;

/// Who acted: a logged-in user, or nobody yet (a failed login).
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub ip: String,
}

#[tracing::instrument(skip_all, fields(action))]
pub async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: &str,
    scope_path: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit_event (at, actor_user_id, actor_username, action, target, detail, scope_path, ip) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(super::db::now())
    .bind(actor.user_id)
    .bind(actor.username.as_deref())
    .bind(action)
    .bind(target)
    .bind(detail)
    .bind(scope_path)
    .bind(&actor.ip)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub audit_id: i64,
    pub at: i64,
    pub actor_username: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

/// The newest events inside an admin's subtree, newest first.
pub async fn recent(
    conn: &mut AnyConnection,
    scope_root: &str,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(
        "select audit_id, at, actor_username, action, target, detail, ip from audit_event \
         where scope_path like $1 || '%' order by audit_id desc limit $2",
    )
    .bind(scope_root)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Records an action of the logged-in user, from the address of the request being served.
pub async fn by(
    conn: &mut AnyConnection,
    user: &super::auth::CurrentUser,
    action: &str,
    target: &str,
    detail: &str,
    scope_path: &str,
) -> Result<(), sqlx::Error> {
    let actor = user.actor(super::auth::client_ip().await);
    record(conn, &actor, action, target, detail, scope_path).await
}
