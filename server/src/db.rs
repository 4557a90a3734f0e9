//! Opening the database named by the URL (SQLite or PostgreSQL through sqlx `Any`) and running the embedded
//! migrations of that backend.

use crate::Config;
use anyhow::{Context, anyhow};
use app::server::{AppState, Backend};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Connects and migrates; the app state the router serves.
pub async fn open(config: &Config) -> anyhow::Result<AppState> {
    let (pool, backend) = connect(&config.database_url).await?;
    migrate(&pool, backend).await?;
    let mut state = AppState::new(pool, backend, config.auth.clone());
    state.heartbeat = config.heartbeat_seconds;
    state.media_dir = config.media_dir.clone();
    Ok(state)
}

pub async fn connect(url: &str) -> anyhow::Result<(AnyPool, Backend)> {
    sqlx::any::install_default_drivers();
    let backend = Backend::from_url(url).ok_or_else(|| {
        anyhow!(
            "DATABASE_URL must start with sqlite:// or postgres://, got {:?}",
            redact(url)
        )
    })?;
    let url = match backend {
        Backend::Sqlite => prepare_sqlite(url)?,
        Backend::Postgres => url.to_owned(),
    };
    let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
    if backend == Backend::Sqlite {
        options = options.max_connections(8).after_connect(|conn, _| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; the busy timeout makes writers queue instead of failing.
                conn.execute("pragma journal_mode = wal; pragma synchronous = normal; pragma foreign_keys = on; pragma busy_timeout = 5000;")
                    .await?;
                Ok(())
            })
        });
    } else {
        options = options.max_connections(20);
    }
    let pool = options
        .connect(&url)
        .await
        .with_context(|| format!("cannot open database {}", redact(&url)))?;
    Ok((pool, backend))
}

/// Creates the SQLite file's folder and asks for the file to be created if missing.
fn prepare_sqlite(url: &str) -> anyhow::Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Ok(url.to_owned());
    }
    if let Some(dir) = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".into()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

pub async fn migrate(pool: &AnyPool, backend: Backend) -> anyhow::Result<()> {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator
        .run(pool)
        .await
        .context("database migration failed")?;
    Ok(())
}

/// A URL fit for a log line or an error: the password replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_in_database_urls_are_never_printed() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn sqlite_urls_create_their_file() {
        let dir = std::env::temp_dir().join(format!("lb-prep-{}", std::process::id()));
        let url = format!("sqlite://{}/a/b.db", dir.display());
        let out = super::prepare_sqlite(&url).unwrap();
        assert!(out.ends_with("b.db?mode=rwc"));
        assert!(dir.join("a").is_dir());
        let _ = std::fs::remove_dir_all(dir);
    }
}
