//! `lianbing content check|import`: validate the content tree, then write it to the database as versions.

use anyhow::{Context, bail};
use app::content::check::{self, ContentSet};
use app::server::content_store::{self, ImportStats, Upsert};
use sqlx::AnyPool;
use std::io::IsTerminal;
use std::path::Path;

/// Checks a content tree; prints every problem and the summary line. Returns the set when it is clean.
pub fn check(dir: &Path, quiet: bool) -> anyhow::Result<ContentSet> {
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let (set, diagnostics) = check::check_dir(dir);
    for d in &diagnostics {
        eprintln!("{d}");
    }
    if !diagnostics.is_empty() {
        bail!("{} problem(s) in {}", diagnostics.len(), dir.display());
    }
    if !quiet {
        println!("{}", set.summary());
    }
    Ok(set)
}

/// Imports a checked set in one transaction, showing progress on a terminal.
pub async fn import(
    pool: &AnyPool,
    set: &ContentSet,
    show_progress: bool,
) -> anyhow::Result<ImportStats> {
    let items = content_store::items(set);
    let bar = if show_progress && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(items.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let now = app::server::db::now();
    let mut stats = ImportStats::default();
    let mut tx = pool.begin().await?;
    for item in &items {
        if let Some(bar) = &bar {
            bar.set_message(format!("{} {}", item.kind, item.key));
        }
        match content_store::upsert(&mut tx, item, "import", None, now)
            .await
            .with_context(|| format!("importing {} {}", item.kind, item.key))?
        {
            Upsert::Created => stats.created += 1,
            Upsert::Updated => stats.updated += 1,
            Upsert::Unchanged => stats.unchanged += 1,
        }
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    }
    tx.commit().await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(stats)
}

/// On a database with no content yet, checks and imports `dir` (the first start of a fresh install).
pub async fn import_if_empty(pool: &AnyPool, dir: &Path) -> anyhow::Result<Option<ImportStats>> {
    let mut conn = pool.acquire().await?;
    if content_store::count_items(&mut conn).await? > 0 || !dir.is_dir() {
        return Ok(None);
    }
    drop(conn);
    let set = check(dir, true)?;
    Ok(Some(import(pool, &set, false).await?))
}
