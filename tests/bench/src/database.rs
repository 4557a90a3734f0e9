//! The throwaway database a run uses (a SQLite file or a fresh PostgreSQL database, removed afterwards), the
//! candidates inserted into it directly, and the reads that check what the server stored.

use anyhow::{Context, anyhow, bail};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection};
use std::collections::HashMap;
use std::path::Path;

pub const PG_ADMIN_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The PostgreSQL server tests use; `LIANBING_TEST_PG` overrides it, as for the other test crates.
pub fn pg_admin_url() -> String {
    std::env::var("LIANBING_TEST_PG").unwrap_or_else(|_| PG_ADMIN_DEFAULT.into())
}

/// A database made for one run; a PostgreSQL one is dropped when this is.
pub struct Database {
    pub url: String,
    drop_pg: Option<(String, String)>,
}

impl Database {
    /// A SQLite file in `dir`; the server creates it. The folder's owner removes it.
    pub fn sqlite(dir: &Path) -> Database {
        Database {
            url: format!("sqlite://{}", dir.join("bench.db").display()),
            drop_pg: None,
        }
    }

    /// Creates database `name` on the server of `admin_url` and names it in the same URL.
    pub async fn postgres(admin_url: &str, name: &str) -> anyhow::Result<Database> {
        if !admin_url.starts_with("postgres://") && !admin_url.starts_with("postgresql://") {
            bail!("--database-url must be postgres://USER@HOST:PORT/DB");
        }
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .with_context(|| format!("cannot connect to {admin_url}"))?;
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        let _ = conn.close().await;
        Ok(Database {
            url: with_database(admin_url, name)?,
            drop_pg: Some((admin_url.to_owned(), name.to_owned())),
        })
    }

    /// A small pool for the bench's own reads and writes beside the server.
    pub async fn pool(&self) -> anyhow::Result<AnyPool> {
        sqlx::any::install_default_drivers();
        AnyPoolOptions::new()
            .max_connections(2)
            .connect(&self.url)
            .await
            .with_context(|| format!("cannot open {}", self.url))
    }

    /// Drops the PostgreSQL database now (also done on drop, where an await is impossible).
    pub async fn remove(mut self) -> anyhow::Result<()> {
        if let Some((admin, name)) = self.drop_pg.take() {
            drop_pg(&admin, &name).await?;
        }
        Ok(())
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let Some((admin, name)) = self.drop_pg.take() else {
            return;
        };
        // Drop may run inside a runtime, which cannot be blocked on: a thread with its own runtime does it.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                let _ = rt.block_on(drop_pg(&admin, &name));
            }
        })
        .join();
    }
}

async fn drop_pg(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(&format!("drop database if exists {name} with (force)"))
        .execute(&mut conn)
        .await?;
    let _ = conn.close().await;
    Ok(())
}

/// `postgres://USER@HOST:PORT/DB?QUERY` with DB replaced.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let server = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    if server.len() <= scheme_end {
        return Err(anyhow!("no host in {url}"));
    }
    Ok(match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    })
}

/// `bench00001`, `bench00002`, …
pub fn username(i: usize) -> String {
    format!("bench{i:05}")
}

/// Inserts `n` trainees with the demo trainee's unit and password hash, in batched transactions: creating
/// thousands of accounts over HTTP would spend minutes hashing passwords.
pub async fn insert_candidates(pool: &AnyPool, n: usize) -> anyhow::Result<Vec<String>> {
    let (hash, unit): (String, i64) =
        sqlx::query_as("select password_hash, unit_id from app_user where username = 'trainee'")
            .fetch_optional(pool)
            .await?
            .context("the demo user `trainee` is missing")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let names: Vec<String> = (1..=n).map(username).collect();
    for chunk in names.chunks(500) {
        let mut tx = pool.begin().await?;
        for name in chunk {
            let id: i64 = sqlx::query_scalar(
                "insert into app_user (username, display_name, unit_id, password_hash, must_change_password, \
                 active, failed_logins, created_at, updated_at) values ($1, $2, $3, $4, 0, 1, 0, $5, $5) \
                 returning user_id",
            )
            .bind(name)
            .bind(format!("考生{}", &name["bench".len()..]))
            .bind(unit)
            .bind(&hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("insert into user_role (user_id, role) values ($1, 'trainee')")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(names)
}

/// Sets the stage's duration in seconds; the admin form only takes whole minutes.
pub async fn set_duration(pool: &AnyPool, stage: i64, seconds: i64) -> anyhow::Result<()> {
    sqlx::query("update stage set duration_s = $1 where stage_id = $2")
        .bind(seconds)
        .bind(stage)
        .execute(pool)
        .await?;
    Ok(())
}

/// One stored answer: (seq, answer).
pub type Stored = HashMap<i64, HashMap<i64, (i64, String)>>;

/// Every answer stored for the stage's sittings: sitting → position → (seq, answer).
pub async fn stored_answers(pool: &AnyPool, stage: i64) -> anyhow::Result<Stored> {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "select sitting_id, position, seq, answer from exam_answer \
         where sitting_id in (select sitting_id from exam_sitting where stage_id = $1)",
    )
    .bind(stage)
    .fetch_all(pool)
    .await?;
    let mut out: Stored = HashMap::new();
    for (sitting, pos, seq, answer) in rows {
        out.entry(sitting).or_default().insert(pos, (seq, answer));
    }
    Ok(out)
}

/// How many of the stage's sittings are submitted (`true`) or not (`false`).
pub async fn count_sittings(pool: &AnyPool, stage: i64, submitted: bool) -> anyhow::Result<i64> {
    let sql = if submitted {
        "select cast(count(*) as bigint) from exam_sitting where stage_id = $1 and submitted_at is not null"
    } else {
        "select cast(count(*) as bigint) from exam_sitting where stage_id = $1 and submitted_at is null"
    };
    Ok(sqlx::query_scalar(sql).bind(stage).fetch_one(pool).await?)
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x").unwrap(),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x").unwrap(),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h", "x").unwrap(),
            "postgres://u@h/x"
        );
    }
}
