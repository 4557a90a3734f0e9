//! Data access for the organisation tree. Each unit stores its materialised path (`/1/4/9/`) so a subtree is
//! one indexed prefix query on both backends.

use sqlx::AnyConnection;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UnitRow {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub level: i64,
    pub parent_id: Option<i64>,
    pub path: String,
}

const COLUMNS: &str = "select unit_id, code, name, level, parent_id, path from unit";

pub async fn subtree(
    conn: &mut AnyConnection,
    root_path: &str,
) -> Result<Vec<UnitRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{COLUMNS} where path like $1 || '%' order by level, code"
    ))
    .bind(root_path)
    .fetch_all(conn)
    .await
}

pub async fn get(conn: &mut AnyConnection, unit_id: i64) -> Result<Option<UnitRow>, sqlx::Error> {
    sqlx::query_as(&format!("{COLUMNS} where unit_id = $1"))
        .bind(unit_id)
        .fetch_optional(conn)
        .await
}

pub async fn by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<UnitRow>, sqlx::Error> {
    sqlx::query_as(&format!("{COLUMNS} where code = $1"))
        .bind(code)
        .fetch_optional(conn)
        .await
}

/// Inserts a unit under `parent` (or as a root); its path is completed from the id it receives.
pub async fn insert(
    conn: &mut AnyConnection,
    parent: Option<&UnitRow>,
    code: &str,
    name: &str,
    level: i64,
) -> Result<i64, sqlx::Error> {
    let now = super::db::now();
    let id: i64 = sqlx::query_scalar(
        "insert into unit (code, name, level, parent_id, path, created_at, updated_at) \
         values ($1, $2, $3, $4, '', $5, $5) returning unit_id",
    )
    .bind(code)
    .bind(name)
    .bind(level)
    .bind(parent.map(|p| p.unit_id))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let path = format!("{}{id}/", parent.map(|p| p.path.as_str()).unwrap_or("/"));
    sqlx::query("update unit set path = $1 where unit_id = $2")
        .bind(path)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(id)
}

pub async fn update(
    conn: &mut AnyConnection,
    unit_id: i64,
    code: &str,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update unit set code = $1, name = $2, updated_at = $3 where unit_id = $4")
        .bind(code)
        .bind(name)
        .bind(super::db::now())
        .bind(unit_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from unit")
        .fetch_one(conn)
        .await
}
