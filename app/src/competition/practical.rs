//! The scenario practical stage: each candidate plays the stage's scenario as a timed exam-mode attempt on the
//! same clock as the theory paper (stage start + duration + the candidate's extra time). The attempt lives in the
//! scenario player; the stage's sitting points at it and takes its score when it ends or its time is up.

use super::ssr::{GRACE_S, StageRow};
use crate::error::AppError;
use crate::server::{attempts, content_store};
use sqlx::{AnyConnection, Row};

/// The candidate's attempt for a running practical stage, created on first entry.
pub async fn enter(
    conn: &mut AnyConnection,
    stage: &StageRow,
    entrant_id: i64,
    user_id: i64,
) -> Result<i64, AppError> {
    let existing: Option<(i64, Option<i64>)> = sqlx::query_as(
        "select sitting_id, attempt_id from exam_sitting where stage_id = $1 and entrant_id = $2",
    )
    .bind(stage.id)
    .bind(entrant_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((_, Some(attempt))) = existing {
        return Ok(attempt);
    }
    let started = stage
        .started_at
        .ok_or(AppError::field("stage", "competition.err_not_started"))?;
    let key = stage.scenario_key.as_deref().ok_or(AppError::NotFound)?;
    let (version, body) = content_store::published(conn, "scenario", key)
        .await?
        .ok_or(AppError::NotFound)?;
    let scenario = crate::scenario::ssr::parse(&body)?;
    let max = scenario.max_score;
    let sitting_id =
        match existing {
            Some((id, _)) => id,
            None => sqlx::query_scalar(
                "insert into exam_sitting (stage_id, entrant_id, paper, max_score, deadline_at) \
             values ($1, $2, '[]', $3, $4) returning sitting_id",
            )
            .bind(stage.id)
            .bind(entrant_id)
            .bind(i64::from(max) * 100)
            .bind(started + stage.duration_s)
            .fetch_one(&mut *conn)
            .await?,
        };
    let deadline: i64 =
        sqlx::query_scalar("select deadline_at from exam_sitting where sitting_id = $1")
            .bind(sitting_id)
            .fetch_one(&mut *conn)
            .await?;
    let attempt = attempts::create(
        conn,
        user_id,
        key,
        version,
        max,
        attempts::Mode::Exam,
        Some(stage.id),
        Some(deadline),
    )
    .await?;
    sqlx::query("update exam_sitting set attempt_id = $1, claimed_at = $2 where sitting_id = $3")
        .bind(attempt)
        .bind(crate::server::db::now())
        .bind(sitting_id)
        .execute(&mut *conn)
        .await?;
    Ok(attempt)
}

/// Closes practical attempts whose time is up (with what was answered) and submits the sittings of attempts that
/// have ended, with the attempt's score.
pub async fn sweep(conn: &mut AnyConnection, now: i64) -> Result<usize, AppError> {
    let rows = sqlx::query(
        "select s.sitting_id, s.attempt_id, a.status from exam_sitting s join scenario_attempt a \
         on a.attempt_id = s.attempt_id where s.submitted_at is null \
         and (a.status <> 'open' or a.deadline_at + $1 < $2) order by s.sitting_id limit 200",
    )
    .bind(GRACE_S)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let mut n = 0;
    for row in rows {
        let sitting_id: i64 = row.try_get("sitting_id")?;
        let attempt_id: i64 = row.try_get("attempt_id")?;
        let status: String = row.try_get("status")?;
        let mut kind = "candidate";
        if status == "open" {
            kind = "auto";
            if let Some(mut a) = attempts::load(conn, attempt_id).await? {
                let body = content_store::version_body(conn, a.version_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let s = crate::scenario::ssr::parse(&body)?;
                let st = a
                    .state(&s)
                    .map_err(|e| AppError::internal("attempt replay", e))?;
                match a.save(conn, &s, &st, true).await {
                    Ok(()) | Err(attempts::SaveError::Stale) => {}
                    Err(attempts::SaveError::Db(e)) => return Err(e.into()),
                }
            }
        }
        let score: Option<i64> =
            sqlx::query_scalar("select score from scenario_attempt where attempt_id = $1")
                .bind(attempt_id)
                .fetch_one(&mut *conn)
                .await?;
        let done = sqlx::query(
            "update exam_sitting set submitted_at = $1, submit_kind = $2, score = $3 \
             where sitting_id = $4 and submitted_at is null",
        )
        .bind(now)
        .bind(kind)
        .bind(score.unwrap_or(0) * 100)
        .bind(sitting_id)
        .execute(&mut *conn)
        .await?;
        n += done.rows_affected() as usize;
    }
    Ok(n)
}
