//! `results --candidates N`: a competition of N candidates × 4 stages (theory, scenario practical, on-site and case
//! file, the last two marked by 3 examiners each) written straight into a throwaway database, then the time the
//! server's own code takes to compute the whole results table from it: every stage's scores (aggregating the
//! examiners' locked totals), the weighted totals, ranking with tie-breaks, awards, team and unit rankings.

use crate::Workdir;
use crate::database::Database;
use anyhow::Context;
use rand::Rng;
use sqlx::AnyConnection;
use std::time::Instant;

pub struct Options {
    pub candidates: usize,
    pub database_url: Option<String>,
}

/// The last line the command prints.
pub fn report(candidates: usize, ms: u128) -> String {
    format!("results: candidates={candidates} ms={ms}")
}

pub async fn run(opts: Options) -> anyhow::Result<String> {
    let dir = Workdir::new("results")?;
    let db = match &opts.database_url {
        Some(url) => {
            Database::postgres(url, &format!("lianbing_results_{}", std::process::id())).await?
        }
        None => Database::sqlite(&dir.path),
    };
    let (pool, backend) = server::db::connect(&db.url).await?;
    server::db::migrate(&pool, backend).await?;
    let state = app::server::AppState::new(pool.clone(), backend, Default::default());
    server::seed::demo(
        &state,
        &crate::workspace_root().join("content/demo/org.toml"),
    )
    .await
    .context("seeding the demo organisation")?;
    eprintln!(
        "results: writing {} candidates × 4 stages × 3 examiners",
        opts.candidates
    );
    let started = Instant::now();
    let cid = {
        let mut tx = pool.begin().await?;
        let cid = populate(&mut tx, opts.candidates).await?;
        tx.commit().await?;
        cid
    };
    eprintln!(
        "results: data written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut conn = pool.acquire().await?;
    let c = app::competition::ssr::competition(&mut conn, cid)
        .await?
        .context("the competition")?;
    // Warm the connection and the statement cache as a running server would be; the figure is the second run.
    let _ = app::competition::results::ssr::compute(&mut conn, &c).await;
    let t = Instant::now();
    let results = app::competition::results::ssr::compute(&mut conn, &c)
        .await
        .map_err(|e| anyhow::anyhow!("compute: {e}"))?;
    let ms = t.elapsed().as_millis();
    anyhow::ensure!(
        results.rows.len() == opts.candidates,
        "ranked {} of {} candidates",
        results.rows.len(),
        opts.candidates
    );
    anyhow::ensure!(
        results.pending.is_empty(),
        "pending stages: {:?}",
        results.pending
    );
    let champions = results.rows.iter().filter(|r| r.champion).count();
    eprintln!(
        "results: ranked {} candidates, {} 执法能手, {} teams, {} units",
        results.rows.len(),
        champions,
        results.teams.len(),
        results.units.len()
    );
    drop(conn);
    pool.close().await;
    db.remove().await?;
    Ok(report(opts.candidates, ms))
}

/// Writes the competition with multi-row inserts; returns its id.
async fn populate(conn: &mut AnyConnection, n: usize) -> anyhow::Result<i64> {
    let now = app::server::db::now();
    let (unit_zj, admin): (i64, i64) = sqlx::query_as(
        "select u.unit_id, a.user_id from unit u, app_user a where u.code = 'ZJ' and a.username = 'admin'",
    )
    .fetch_one(&mut *conn)
    .await?;
    let units: Vec<i64> = sqlx::query_scalar(
        "select unit_id from unit where code in ('ZJ-HZ-XH', 'ZJ-HZ-XS', 'ZJ-NB')",
    )
    .fetch_all(&mut *conn)
    .await?;
    let examiners: Vec<i64> = sqlx::query_scalar(
        "select user_id from app_user where username in ('examiner', 'examiner2', 'examiner3') order by user_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    anyhow::ensure!(
        examiners.len() == 3 && units.len() == 3,
        "the demo organisation"
    );
    let hash: String =
        sqlx::query_scalar("select password_hash from app_user where username = 'trainee'")
            .fetch_one(&mut *conn)
            .await?;
    let cid: i64 = sqlx::query_scalar(
        "insert into competition (name, level, unit_id, status, created_by, created_at, updated_at) \
         values ('结果计算压测', 'provincial', $1, 'grading', $2, $3, $3) returning competition_id",
    )
    .bind(unit_zj)
    .bind(admin)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let rubric = r#"{"id":"bench","title":"压测评分标准","kind":"onsite","criterion":[{"id":"c1","title":"总体","max":100}]}"#;
    let mut stages = Vec::new();
    for (pos, (kind, weight)) in [
        ("theory", 30),
        ("scenario", 20),
        ("onsite", 30),
        ("casefile", 20),
    ]
    .iter()
    .enumerate()
    {
        let id: i64 = sqlx::query_scalar(
            "insert into stage (competition_id, position, kind, title, weight, duration_s, status, started_at, released, rubric) \
             values ($1, $2, $3, $3, $4, 3600, 'closed', $5, 1, $6) returning stage_id",
        )
        .bind(cid)
        .bind(pos as i64 + 1)
        .bind(*kind)
        .bind(*weight)
        .bind(now - 7200)
        .bind(if pos >= 2 { rubric } else { "" })
        .fetch_one(&mut *conn)
        .await?;
        stages.push(id);
    }
    let teams: Vec<i64> = {
        let mut v = Vec::new();
        for (i, u) in units.iter().enumerate() {
            v.push(
                sqlx::query_scalar::<_, i64>("insert into team (competition_id, unit_id, name) values ($1, $2, $3) returning team_id")
                    .bind(cid)
                    .bind(u)
                    .bind(format!("代表队{}", i + 1))
                    .fetch_one(&mut *conn)
                    .await?,
            );
        }
        v
    };
    let mut rng = rand::thread_rng();
    const CHUNK: usize = 200;
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        // Users, then entrants (ids read back by username order), then sittings, submissions and assignments.
        let users: Vec<String> = (start..end)
            .map(|i| {
                format!(
                    "('results{i:06}', '考生{i:06}', {}, '{hash}', 0, 1, 0, {now}, {now})",
                    units[i % units.len()]
                )
            })
            .collect();
        sqlx::query(&format!(
            "insert into app_user (username, display_name, unit_id, password_hash, must_change_password, active, failed_logins, created_at, updated_at) values {}",
            users.join(",")
        ))
        .execute(&mut *conn)
        .await?;
        let ids: Vec<(i64, i64)> = sqlx::query_as(
            "select user_id, unit_id from app_user where username >= $1 and username <= $2 order by username",
        )
        .bind(format!("results{start:06}"))
        .bind(format!("results{:06}", end - 1))
        .fetch_all(&mut *conn)
        .await?;
        let entrants: Vec<String> = ids
            .iter()
            .enumerate()
            .map(|(j, (uid, unit))| {
                let i = start + j;
                let team = if i % 2 == 0 {
                    teams[i % teams.len()].to_string()
                } else {
                    "null".into()
                };
                format!(
                    "({cid}, {uid}, {unit}, {team}, '{cid:04}-{:05}', {now})",
                    i + 1
                )
            })
            .collect();
        sqlx::query(&format!(
            "insert into entrant (competition_id, user_id, unit_id, team_id, candidate_no, created_at) values {}",
            entrants.join(",")
        ))
        .execute(&mut *conn)
        .await?;
        let entrant_ids: Vec<i64> = sqlx::query_scalar(
            "select entrant_id from entrant where competition_id = $1 and candidate_no >= $2 and candidate_no <= $3 order by candidate_no",
        )
        .bind(cid)
        .bind(format!("{cid:04}-{:05}", start + 1))
        .bind(format!("{cid:04}-{:05}", end))
        .fetch_all(&mut *conn)
        .await?;
        let mut sittings = Vec::new();
        let mut submissions = Vec::new();
        for (j, e) in entrant_ids.iter().enumerate() {
            for s in &stages[..2] {
                let score = rng.gen_range(0..=10_000);
                let took = rng.gen_range(600..3600);
                sittings.push(format!(
                    "({s}, {e}, '[]', 10000, 0, {}, 1, {}, 'candidate', {score})",
                    now - 3600,
                    now - 7200 + took
                ));
            }
            for s in &stages[2..] {
                submissions.push(format!(
                    "({s}, {e}, 'B{:05}', '{{}}', {}, 'final')",
                    start + j,
                    now - 3600
                ));
            }
        }
        sqlx::query(&format!(
            "insert into exam_sitting (stage_id, entrant_id, paper, max_score, extra_s, deadline_at, generation, submitted_at, submit_kind, score) values {}",
            sittings.join(",")
        ))
        .execute(&mut *conn)
        .await?;
        sqlx::query(&format!(
            "insert into submission (stage_id, entrant_id, code, documents, submitted_at, status) values {}",
            submissions.join(",")
        ))
        .execute(&mut *conn)
        .await?;
        let subs: Vec<i64> = sqlx::query_scalar(
            "select submission_id from submission where stage_id in ($1, $2) and code >= $3 and code <= $4",
        )
        .bind(stages[2])
        .bind(stages[3])
        .bind(format!("B{start:05}"))
        .bind(format!("B{:05}", end - 1))
        .fetch_all(&mut *conn)
        .await?;
        let mut assignments = Vec::new();
        for sub in subs {
            // Three examiners close to each other (within the default threshold of 10 points).
            let base: i64 = rng.gen_range(3_000..=9_000);
            for ex in &examiners {
                let total = base + rng.gen_range(-400..=400);
                assignments.push(format!("({sub}, {ex}, {now}, {total})"));
            }
        }
        sqlx::query(&format!(
            "insert into assignment (submission_id, examiner_id, locked_at, total) values {}",
            assignments.join(",")
        ))
        .execute(&mut *conn)
        .await?;
        start = end;
    }
    Ok(cid)
}
