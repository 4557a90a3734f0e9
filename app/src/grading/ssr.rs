//! Examiner-graded stages in the database: examiners of a stage, blind submissions, assignment under the conflict
//! rule, marks saved one criterion at a time, locking, the chief's changes and arbitration, and reconciliation.
//! Every change to a mark goes into the hash-chained log (`chain`).

use super::chain::{self, Entry};
use super::rules::{self, Aggregation, Party};
use super::*;
use crate::competition::ssr::{StageRow, stage};
use crate::error::AppError;
use rand::Rng;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// The stage's rubric, as snapshotted when the stage was configured.
pub async fn rubric_of(conn: &mut AnyConnection, stage_id: i64) -> Result<RubricView, AppError> {
    let text: String = sqlx::query_scalar("select rubric from stage where stage_id = $1")
        .bind(stage_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    serde_json::from_str(&text).map_err(|_| AppError::field("rubric", "grading.err_no_rubric"))
}

/// How a stage reconciles its examiners.
#[derive(Clone, Debug)]
pub struct StagePolicy {
    pub k: usize,
    pub aggregation: Aggregation,
    pub divergence: i64,
}

pub async fn policy(conn: &mut AnyConnection, stage_id: i64) -> Result<StagePolicy, sqlx::Error> {
    let (k, agg, div): (i64, String, i64) = sqlx::query_as(
        "select examiners_k, aggregation, divergence from stage where stage_id = $1",
    )
    .bind(stage_id)
    .fetch_one(conn)
    .await?;
    Ok(StagePolicy {
        k: k.max(1) as usize,
        aggregation: Aggregation::parse(&agg).unwrap_or(Aggregation::Mean),
        divergence: div,
    })
}

fn log(actor: i64, kind: &str) -> Entry {
    Entry {
        at: crate::server::db::now(),
        actor_id: Some(actor),
        kind: kind.to_owned(),
        ..Entry::default()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Examiners and submissions

/// A person on a stage's examiner panel.
pub async fn panel(
    conn: &mut AnyConnection,
    stage_id: i64,
) -> Result<Vec<PanelMember>, sqlx::Error> {
    let rows = sqlx::query(
        "select x.user_id, u.username, u.display_name, un.name as unit_name, x.chief from stage_examiner x \
         join app_user u on u.user_id = x.user_id join unit un on un.unit_id = u.unit_id \
         where x.stage_id = $1 order by x.chief desc, u.username",
    )
    .bind(stage_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PanelMember {
                user_id: r.try_get("user_id")?,
                username: r.try_get("username")?,
                name: r.try_get("display_name")?,
                unit: r.try_get("unit_name")?,
                chief: r.try_get::<i64, _>("chief")? != 0,
            })
        })
        .collect()
}

pub async fn is_chief(
    conn: &mut AnyConnection,
    stage_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select cast(count(*) as bigint) from stage_examiner where stage_id = $1 and user_id = $2 and chief = 1",
    )
    .bind(stage_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// A blind code: six characters a person reads without confusing 0/O or 1/I.
pub fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..6)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The candidate's submission of a stage, created (with a blind code) if it does not exist yet.
pub async fn submission_for(
    conn: &mut AnyConnection,
    stage: &StageRow,
    entrant_id: i64,
    deadline: Option<i64>,
    status: &str,
) -> Result<i64, sqlx::Error> {
    if let Some(id) = sqlx::query_scalar::<_, i64>(
        "select submission_id from submission where stage_id = $1 and entrant_id = $2",
    )
    .bind(stage.id)
    .bind(entrant_id)
    .fetch_optional(&mut *conn)
    .await?
    {
        return Ok(id);
    }
    loop {
        let code = new_code();
        let taken: Option<i64> = sqlx::query_scalar(
            "select submission_id from submission where stage_id = $1 and code = $2",
        )
        .bind(stage.id)
        .bind(&code)
        .fetch_optional(&mut *conn)
        .await?;
        if taken.is_some() {
            continue;
        }
        return sqlx::query_scalar(
            "insert into submission (stage_id, entrant_id, code, documents, deadline_at, status) \
             values ($1, $2, $3, '{}', $4, $5) returning submission_id",
        )
        .bind(stage.id)
        .bind(entrant_id)
        .bind(&code)
        .bind(deadline)
        .bind(status)
        .fetch_one(&mut *conn)
        .await;
    }
}

/// Assigns every unassigned, markable submission of a stage to k examiners of its panel (chief examiners
/// arbitrate and are not assigned). On-site stages mark everyone entered; case files mark what was handed in.
pub async fn assign(
    conn: &mut AnyConnection,
    stage: &StageRow,
    actor: i64,
) -> Result<usize, AppError> {
    let policy = policy(conn, stage.id).await?;
    if stage.kind == crate::competition::StageKind::Onsite {
        let entrants: Vec<i64> = sqlx::query_scalar(
            "select entrant_id from entrant where competition_id = $1 order by entrant_id",
        )
        .bind(stage.competition_id)
        .fetch_all(&mut *conn)
        .await?;
        for e in entrants {
            submission_for(conn, stage, e, None, "marking").await?;
        }
    }
    let rows = sqlx::query(
        "select s.submission_id, e.user_id, un.path, e.team_id from submission s join entrant e on e.entrant_id = s.entrant_id \
         join unit un on un.unit_id = e.unit_id where s.stage_id = $1 and s.status in ('marking', 'open') \
         and (s.submitted_at is not null or $2 = 1) \
         and not exists (select 1 from assignment a where a.submission_id = s.submission_id) order by s.submission_id",
    )
    .bind(stage.id)
    .bind(i64::from(stage.kind == crate::competition::StageKind::Onsite))
    .fetch_all(&mut *conn)
    .await?;
    let mut subs = Vec::with_capacity(rows.len());
    for r in &rows {
        subs.push((
            r.try_get::<i64, _>("submission_id")?,
            Party {
                user_id: r.try_get("user_id")?,
                unit_path: r.try_get("path")?,
                team: r.try_get("team_id")?,
            },
        ));
    }
    if subs.is_empty() {
        return Ok(0);
    }
    // An examiner who is also entered in the competition carries their team into the conflict rule.
    let ex_rows = sqlx::query(
        "select x.user_id, un.path, (select e.team_id from entrant e where e.competition_id = $2 and e.user_id = x.user_id) as team_id \
         from stage_examiner x join app_user u on u.user_id = x.user_id join unit un on un.unit_id = u.unit_id \
         where x.stage_id = $1 and x.chief = 0 order by x.user_id",
    )
    .bind(stage.id)
    .bind(stage.competition_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut examiners = Vec::with_capacity(ex_rows.len());
    for r in &ex_rows {
        examiners.push(Party {
            user_id: r.try_get("user_id")?,
            unit_path: r.try_get("path")?,
            team: r.try_get("team_id")?,
        });
    }
    let plan = rules::assign(&subs, &examiners, policy.k, rand::random::<u64>())
        .map_err(|_| AppError::field("panel", "grading.err_panel_too_small"))?;
    let now = crate::server::db::now();
    for (sub, exs) in &plan {
        for ex in exs {
            sqlx::query("insert into assignment (submission_id, examiner_id) values ($1, $2)")
                .bind(sub)
                .bind(ex)
                .execute(&mut *conn)
                .await?;
            chain::append(
                conn,
                &Entry {
                    submission_id: Some(*sub),
                    examiner_id: Some(*ex),
                    ..log(actor, "assign")
                },
            )
            .await?;
        }
        sqlx::query("update submission set status = 'marking', submitted_at = coalesce(submitted_at, $1) where submission_id = $2")
            .bind(now)
            .bind(sub)
            .execute(&mut *conn)
            .await?;
    }
    Ok(plan.len())
}

// ---------------------------------------------------------------------------------------------------------------
// Marking

/// An examiner's assignment with its submission, stage and rubric, if it is theirs.
pub struct Assigned {
    pub submission_id: i64,
    pub stage: StageRow,
    pub code: String,
    pub documents: std::collections::BTreeMap<String, String>,
    pub locked: bool,
    pub total: Option<i64>,
    pub status: String,
}

pub async fn assigned(
    conn: &mut AnyConnection,
    submission_id: i64,
    examiner: i64,
) -> Result<Assigned, AppError> {
    let row = sqlx::query(
        "select s.stage_id, s.code, s.documents, s.status, a.locked_at, a.total from assignment a \
         join submission s on s.submission_id = a.submission_id where a.submission_id = $1 and a.examiner_id = $2",
    )
    .bind(submission_id)
    .bind(examiner)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let stage_id: i64 = row.try_get("stage_id")?;
    let documents: String = row.try_get("documents")?;
    Ok(Assigned {
        submission_id,
        stage: stage(conn, stage_id).await?.ok_or(AppError::NotFound)?,
        code: row.try_get("code")?,
        documents: serde_json::from_str(&documents).unwrap_or_default(),
        locked: row.try_get::<Option<i64>, _>("locked_at")?.is_some(),
        total: row.try_get("total")?,
        status: row.try_get("status")?,
    })
}

/// An examiner's marks on one submission, by criterion: (hundredths, note).
pub async fn marks_of(
    conn: &mut AnyConnection,
    submission_id: i64,
    examiner: i64,
) -> Result<HashMap<String, (i64, String)>, sqlx::Error> {
    let rows: Vec<(String, i64, String)> = sqlx::query_as(
        "select criterion, points, note from mark where submission_id = $1 and examiner_id = $2",
    )
    .bind(submission_id)
    .bind(examiner)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(c, p, n)| (c, (p, n))).collect())
}

/// Reads one criterion's input: a judgement level 0–3 where the criterion has levels, else points 0..=max
/// (halves allowed). Returns hundredths.
pub fn points_of(c: &CriterionView, raw: &str) -> Result<i64, AppError> {
    let raw = raw.trim();
    let bad = || AppError::field("points", "grading.err_points");
    if c.levels.len() == 4 {
        let level: i64 = raw.parse().map_err(|_| bad())?;
        if !(0..=3).contains(&level) {
            return Err(bad());
        }
        return Ok(level_points(c.max, level));
    }
    let value: f64 = raw.replace('，', ".").parse().map_err(|_| bad())?;
    let hundredths = (value * 100.0).round() as i64;
    if !value.is_finite()
        || hundredths < 0
        || hundredths > i64::from(c.max) * 100
        || hundredths % 50 != 0
    {
        return Err(bad());
    }
    Ok(hundredths)
}

/// Level L of a criterion worth `max` earns max × L / 3, in hundredths.
pub fn level_points(max: u32, level: i64) -> i64 {
    (i64::from(max) * 100 * level + 1) / 3
}

/// Saves one criterion of an examiner's unlocked assignment.
pub async fn save_mark(
    conn: &mut AnyConnection,
    a: &Assigned,
    examiner: i64,
    criterion: &CriterionView,
    points: i64,
    note: &str,
) -> Result<(), AppError> {
    if a.locked {
        return Err(AppError::field("points", "grading.err_locked"));
    }
    let now = crate::server::db::now();
    sqlx::query(
        "insert into mark (submission_id, examiner_id, criterion, points, note, updated_at) values ($1, $2, $3, $4, $5, $6) \
         on conflict (submission_id, examiner_id, criterion) do update set points = excluded.points, note = excluded.note, \
         updated_at = excluded.updated_at",
    )
    .bind(a.submission_id)
    .bind(examiner)
    .bind(&criterion.id)
    .bind(points)
    .bind(note)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    chain::append(
        conn,
        &Entry {
            submission_id: Some(a.submission_id),
            examiner_id: Some(examiner),
            criterion: criterion.id.clone(),
            points: Some(points),
            reason: note.to_owned(),
            ..log(examiner, "mark")
        },
    )
    .await?;
    Ok(())
}

/// Locks an examiner's marks once every criterion has one; the submission is reconciled when all are locked.
pub async fn lock(
    conn: &mut AnyConnection,
    a: &Assigned,
    examiner: i64,
    rubric: &RubricView,
) -> Result<i64, AppError> {
    if a.locked {
        return Err(AppError::field("lock", "grading.err_locked"));
    }
    let marks = marks_of(conn, a.submission_id, examiner).await?;
    if rubric.criterion.iter().any(|c| !marks.contains_key(&c.id)) {
        return Err(AppError::field("lock", "grading.err_incomplete"));
    }
    let total: i64 = rubric.criterion.iter().map(|c| marks[&c.id].0).sum();
    sqlx::query(
        "update assignment set locked_at = $1, total = $2 where submission_id = $3 and examiner_id = $4 and locked_at is null",
    )
    .bind(crate::server::db::now())
    .bind(total)
    .bind(a.submission_id)
    .bind(examiner)
    .execute(&mut *conn)
    .await?;
    chain::append(
        conn,
        &Entry {
            submission_id: Some(a.submission_id),
            examiner_id: Some(examiner),
            points: Some(total),
            ..log(examiner, "lock")
        },
    )
    .await?;
    reconcile(conn, a.submission_id).await?;
    Ok(total)
}

/// Once every examiner has locked: the aggregate, or 'divergent' for the chief when they differ by more than the
/// stage's threshold. An arbitrated score stands.
pub async fn reconcile(conn: &mut AnyConnection, submission_id: i64) -> Result<(), AppError> {
    let stage_id: i64 =
        sqlx::query_scalar("select stage_id from submission where submission_id = $1")
            .bind(submission_id)
            .fetch_one(&mut *conn)
            .await?;
    let policy = policy(conn, stage_id).await?;
    let totals: Vec<Option<i64>> = sqlx::query_scalar(
        "select total from assignment where submission_id = $1 order by examiner_id",
    )
    .bind(submission_id)
    .fetch_all(&mut *conn)
    .await?;
    if totals.is_empty() || totals.iter().any(Option::is_none) {
        return Ok(());
    }
    let totals: Vec<i64> = totals.into_iter().flatten().collect();
    let arbitrated: Option<i64> =
        sqlx::query_scalar("select score from arbitration where submission_id = $1")
            .bind(submission_id)
            .fetch_optional(&mut *conn)
            .await?;
    let (status, score) = match arbitrated {
        Some(s) => ("final", Some(s)),
        None if rules::is_divergent(&totals, policy.divergence) => ("divergent", None),
        None => ("final", rules::aggregate(policy.aggregation, &totals)),
    };
    sqlx::query(
        "update submission set status = $1, score = $2, arbitrated = $3 where submission_id = $4",
    )
    .bind(status)
    .bind(score)
    .bind(i64::from(arbitrated.is_some()))
    .bind(submission_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The chief examiner changes a locked mark, with a reason; the examiner's total and the submission follow.
pub async fn chief_change(
    conn: &mut AnyConnection,
    chief: i64,
    submission_id: i64,
    examiner: i64,
    criterion: &CriterionView,
    points: i64,
    reason: &str,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "update mark set points = $1, updated_at = $2 where submission_id = $3 and examiner_id = $4 and criterion = $5",
    )
    .bind(points)
    .bind(crate::server::db::now())
    .bind(submission_id)
    .bind(examiner)
    .bind(&criterion.id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(AppError::NotFound);
    }
    let total: i64 = sqlx::query_scalar(
        "select cast(sum(points) as bigint) from mark where submission_id = $1 and examiner_id = $2",
    )
    .bind(submission_id)
    .bind(examiner)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("update assignment set total = $1 where submission_id = $2 and examiner_id = $3 and locked_at is not null")
        .bind(total)
        .bind(submission_id)
        .bind(examiner)
        .execute(&mut *conn)
        .await?;
    chain::append(
        conn,
        &Entry {
            submission_id: Some(submission_id),
            examiner_id: Some(examiner),
            criterion: criterion.id.clone(),
            points: Some(points),
            reason: reason.to_owned(),
            ..log(chief, "change")
        },
    )
    .await?;
    reconcile(conn, submission_id).await
}

/// The chief's score for a submission whose examiners diverged (or one under appeal).
pub async fn arbitrate(
    conn: &mut AnyConnection,
    chief: i64,
    submission_id: i64,
    score: i64,
    reason: &str,
    kind: &str,
) -> Result<(), AppError> {
    let now = crate::server::db::now();
    sqlx::query(
        "insert into arbitration (submission_id, chief_id, score, reason, at) values ($1, $2, $3, $4, $5) \
         on conflict (submission_id) do update set chief_id = excluded.chief_id, score = excluded.score, \
         reason = excluded.reason, at = excluded.at",
    )
    .bind(submission_id)
    .bind(chief)
    .bind(score)
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    chain::append(
        conn,
        &Entry {
            submission_id: Some(submission_id),
            points: Some(score),
            reason: reason.to_owned(),
            ..log(chief, kind)
        },
    )
    .await?;
    reconcile(conn, submission_id).await
}

/// Every locked examiner total of a stage: (submission, examiner, total), for severity and consistency.
pub async fn locked_totals(
    conn: &mut AnyConnection,
    stage_id: i64,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select a.submission_id, a.examiner_id, a.total from assignment a join submission s on s.submission_id = a.submission_id \
         where s.stage_id = $1 and a.locked_at is not null order by a.submission_id, a.examiner_id",
    )
    .bind(stage_id)
    .fetch_all(conn)
    .await
}

/// Closes case files whose time is up: what was saved is what is handed in.
pub async fn sweep(conn: &mut AnyConnection, now: i64) -> Result<usize, sqlx::Error> {
    Ok(sqlx::query(
        "update submission set submitted_at = deadline_at where submitted_at is null and deadline_at is not null \
         and deadline_at + $1 < $2",
    )
    .bind(crate::competition::ssr::GRACE_S)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected() as usize)
}
