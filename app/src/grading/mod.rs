//! Examiner grading: a stage's panel and rubric, blind assignment under the conflict rule, an examiner's queue and
//! marking sheet (a phone at the venue; each criterion saved as entered, then locked), the chief examiner's view
//! with divergences to arbitrate and each examiner's severity, and the candidate's case-file writing page.

pub mod rules;

#[cfg(feature = "ssr")]
pub mod chain;
#[cfg(feature = "ssr")]
pub mod ssr;

use crate::accounts::Protected;
use crate::competition::{StageKind, points};
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, t_with};
use crate::ui::{ActionFeedback, Empty, PageHeader};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A rubric as a stage keeps it: the content's rubric, or one an admin built.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RubricView {
    pub id: String,
    pub title: String,
    pub kind: String,
    #[serde(default)]
    pub note: String,
    pub criterion: Vec<CriterionView>,
}

impl RubricView {
    /// Full marks, in hundredths.
    pub fn max_hundredths(&self) -> i64 {
        self.criterion.iter().map(|c| i64::from(c.max) * 100).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriterionView {
    pub id: String,
    pub title: String,
    pub max: u32,
    #[serde(default)]
    pub guide: String,
    #[serde(default)]
    pub levels: Vec<String>,
    #[serde(default)]
    pub deductions: String,
    #[serde(default)]
    pub veto: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanelMember {
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub unit: String,
    pub chief: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    pub submission: i64,
    pub code: String,
    pub competition: String,
    pub stage: String,
    pub kind: StageKind,
    pub marked: usize,
    pub criteria: usize,
    pub locked: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueView {
    pub items: Vec<QueueItem>,
    /// Stages where this examiner is the chief: (stage id, competition, stage, divergent waiting).
    pub chief_of: Vec<(i64, String, String, i64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SheetView {
    pub submission: i64,
    pub code: String,
    pub stage: String,
    pub kind: StageKind,
    pub rubric: RubricView,
    /// criterion → (hundredths, note)
    pub marks: BTreeMap<String, (i64, String)>,
    pub locked: bool,
    pub total: Option<i64>,
    /// For a case file: the task's facts (HTML) and each document (title, text).
    pub facts_html: String,
    pub documents: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChiefRow {
    pub submission: i64,
    pub code: String,
    pub status: String,
    pub score: Option<i64>,
    pub arbitrated: bool,
    /// (examiner id, name, locked total) per assigned examiner.
    pub totals: Vec<(i64, String, Option<i64>)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChiefBoard {
    pub stage_id: i64,
    pub competition_id: i64,
    pub stage: String,
    pub divergence: i64,
    pub aggregation: String,
    pub rows: Vec<ChiefRow>,
    pub examiners: Vec<(String, rules::ExaminerStats)>,
    pub rubric: RubricView,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CasefileData {
    pub stage_id: i64,
    pub stage: String,
    pub title: String,
    pub facts_html: String,
    /// (template id, title, skeleton, the candidate's text)
    pub documents: Vec<(String, String, String, String)>,
    pub seconds_left: Option<i64>,
    pub submitted: bool,
    pub code: String,
}

/// Where a stage's marking stands, for the admin's stage card.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MarkingProgress {
    pub rubric: Option<String>,
    pub panel: Vec<PanelMember>,
    pub submissions: i64,
    pub assigned: i64,
    pub locked: i64,
    pub assignments: i64,
    pub divergent: i64,
    pub final_count: i64,
    pub k: i64,
    pub aggregation: String,
    pub divergence: i64,
    pub casefile: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// Admin: panel, rubric, assignment

#[cfg(feature = "ssr")]
async fn admin_stage(
    conn: &mut sqlx::AnyConnection,
    admin: &crate::server::auth::CurrentUser,
    stage: i64,
) -> Result<
    (
        crate::competition::ssr::CompetitionRow,
        crate::competition::ssr::StageRow,
    ),
    AppError,
> {
    let s = crate::competition::ssr::stage(conn, stage)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = crate::competition::ssr::competition(conn, s.competition_id)
        .await?
        .filter(|c| admin.scopes(&c.unit_path))
        .ok_or(AppError::NotFound)?;
    if s.kind.timed() {
        return Err(AppError::field("stage", "grading.err_not_marked"));
    }
    Ok((c, s))
}

/// The stage's examiners: one username a line; the chief examiner named apart.
#[server(prefix = "/api", endpoint = "set_panel")]
#[tracing::instrument(skip_all)]
pub async fn set_panel(stage: i64, examiners: String, chief: String) -> Result<usize, AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (c, s) = admin_stage(&mut tx, &admin, stage).await?;
    let assigned: i64 = sqlx::query_scalar(
        "select cast(count(*) as bigint) from assignment a join submission s on s.submission_id = a.submission_id where s.stage_id = $1",
    )
    .bind(s.id)
    .fetch_one(&mut *tx)
    .await?;
    let mut names: Vec<(String, bool)> = examiners
        .split(['\n', ',', '，', ' '])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| (n.to_owned(), false))
        .collect();
    let chief = chief.trim().to_owned();
    if chief.is_empty() {
        return Err(AppError::field("chief", "grading.err_chief"));
    }
    names.retain(|(n, _)| *n != chief);
    names.push((chief, true));
    if assigned > 0 {
        // Marking has begun: the panel may grow (for the next assignment) but nobody is removed.
        tracing::info!(
            stage,
            "panel changed after assignment; only additions take effect"
        );
    } else {
        sqlx::query("delete from stage_examiner where stage_id = $1")
            .bind(s.id)
            .execute(&mut *tx)
            .await?;
    }
    for (name, is_chief) in &names {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "select u.user_id, cast((select count(*) from user_role r where r.user_id = u.user_id and r.role = 'examiner') as bigint) \
             from app_user u where u.username = $1 and u.active = 1",
        )
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((uid, is_examiner)) = row else {
            return Err(AppError::Invalid {
                field: "examiners".into(),
                key: "grading.err_unknown_examiner".into(),
            });
        };
        if is_examiner == 0 {
            return Err(AppError::field("examiners", "grading.err_not_examiner"));
        }
        sqlx::query(
            "insert into stage_examiner (stage_id, user_id, chief) values ($1, $2, $3) \
             on conflict (stage_id, user_id) do update set chief = excluded.chief",
        )
        .bind(s.id)
        .bind(uid)
        .bind(i64::from(*is_chief))
        .execute(&mut *tx)
        .await?;
    }
    audit::by(
        &mut tx,
        &admin,
        "grading_panel",
        &format!("stage:{stage}"),
        &names
            .iter()
            .map(|(n, c)| if *c { format!("{n}*") } else { n.clone() })
            .collect::<Vec<_>>()
            .join(" "),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(names.len())
}

/// Rubric, examiners per submission, aggregation and divergence threshold of an examiner-marked stage.
#[server(prefix = "/api", endpoint = "configure_marking")]
#[tracing::instrument(skip_all)]
pub async fn configure_marking(
    stage: i64,
    rubric: String,
    k: String,
    aggregation: String,
    divergence: String,
    casefile: Option<String>,
    crit: Option<BTreeMap<String, String>>,
) -> Result<(), AppError> {
    use crate::server::{audit, auth, content_store, state::app_state};
    let admin = auth::require_admin().await?;
    let k: i64 = k
        .trim()
        .parse()
        .ok()
        .filter(|k| (1..=9).contains(k))
        .ok_or(AppError::field("k", "grading.err_k"))?;
    let aggregation = rules::Aggregation::parse(&aggregation)
        .ok_or(AppError::field("aggregation", "grading.err_aggregation"))?;
    let divergence: f64 = divergence
        .trim()
        .parse()
        .ok()
        .filter(|d: &f64| (0.0..=100.0).contains(d))
        .ok_or(AppError::field("divergence", "grading.err_divergence"))?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (c, s) = admin_stage(&mut tx, &admin, stage).await?;
    let started: i64 = sqlx::query_scalar(
        "select cast(count(*) as bigint) from assignment a join submission s on s.submission_id = a.submission_id where s.stage_id = $1",
    )
    .bind(s.id)
    .fetch_one(&mut *tx)
    .await?;
    if started > 0 {
        return Err(AppError::field("rubric", "grading.err_marking_started"));
    }
    let kind = if s.kind == StageKind::Onsite {
        "onsite"
    } else {
        "casefile"
    };
    let snapshot: RubricView = if rubric == "custom" {
        custom_rubric(&crit.unwrap_or_default(), kind)?
    } else {
        let (_, body) = content_store::published(&mut tx, "rubric", &rubric)
            .await?
            .ok_or(AppError::field("rubric", "grading.err_no_rubric"))?;
        serde_json::from_str(&body).map_err(|e| AppError::internal("rubric body", e))?
    };
    if snapshot.kind != kind {
        return Err(AppError::field("rubric", "grading.err_rubric_kind"));
    }
    let casefile = match (s.kind, casefile.as_deref().map(str::trim)) {
        (StageKind::Casefile, Some(key)) if !key.is_empty() => {
            content_store::published(&mut tx, "casefile", key)
                .await?
                .ok_or(AppError::field("casefile", "grading.err_casefile"))?;
            Some(key.to_owned())
        }
        (StageKind::Casefile, _) => {
            return Err(AppError::field("casefile", "grading.err_casefile"));
        }
        _ => None,
    };
    sqlx::query(
        "update stage set rubric = $1, examiners_k = $2, aggregation = $3, divergence = $4, casefile_key = $5 where stage_id = $6",
    )
    .bind(serde_json::to_string(&snapshot).unwrap_or_default())
    .bind(k)
    .bind(aggregation.code())
    .bind((divergence * 100.0).round() as i64)
    .bind(casefile)
    .bind(s.id)
    .execute(&mut *tx)
    .await?;
    audit::by(
        &mut tx,
        &admin,
        "grading_configure",
        &format!("stage:{stage}"),
        &format!("{} k={k} {}", snapshot.title, aggregation.code()),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A rubric an admin builds on the stage form: up to eight lines of title, maximum and whether it is judged in
/// levels (0–3) or points.
pub fn custom_rubric(form: &BTreeMap<String, String>, kind: &str) -> Result<RubricView, AppError> {
    let mut criterion = Vec::new();
    for i in 0..8 {
        let get = |f: &str| {
            form.get(&format!("{f}{i}"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let title = get("title");
        if title.is_empty() {
            continue;
        }
        let max: u32 = get("max")
            .parse()
            .ok()
            .filter(|m| (1..=100).contains(m))
            .ok_or(AppError::field("rubric", "grading.err_rubric_max"))?;
        let levels = if get("mode") == "levels" {
            [
                "grading.level0",
                "grading.level1",
                "grading.level2",
                "grading.level3",
            ]
            .iter()
            .map(|k| t(k))
            .collect()
        } else {
            Vec::new()
        };
        criterion.push(CriterionView {
            id: format!("c{}", i + 1),
            title,
            max,
            guide: String::new(),
            levels,
            deductions: String::new(),
            veto: false,
        });
    }
    if criterion.is_empty() {
        return Err(AppError::field("rubric", "grading.err_rubric_empty"));
    }
    Ok(RubricView {
        id: "custom".into(),
        title: t("grading.custom_rubric"),
        kind: kind.to_owned(),
        note: String::new(),
        criterion,
    })
}

/// Assigns the stage's submissions to its examiners (on-site: everyone entered; case file: what was handed in).
#[server(prefix = "/api", endpoint = "assign_marking")]
#[tracing::instrument(skip_all)]
pub async fn assign_marking(stage: i64) -> Result<usize, AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (c, s) = admin_stage(&mut tx, &admin, stage).await?;
    ssr::rubric_of(&mut tx, s.id).await?;
    let n = ssr::assign(&mut tx, &s, admin.id).await?;
    if s.kind == StageKind::Onsite && s.status == crate::competition::StageStatus::Draft {
        // Marking live at the venue is the on-site stage running; the competition is running from then on.
        sqlx::query("update stage set status = 'running', started_at = $1 where stage_id = $2")
            .bind(crate::server::db::now())
            .bind(s.id)
            .execute(&mut *tx)
            .await?;
        if c.status == crate::competition::Status::Open {
            crate::competition::ssr::set_status(&mut tx, c.id, crate::competition::Status::Running)
                .await?;
        }
    }
    audit::by(
        &mut tx,
        &admin,
        "grading_assign",
        &format!("stage:{stage}"),
        &n.to_string(),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

#[cfg(feature = "ssr")]
pub async fn progress(
    conn: &mut sqlx::AnyConnection,
    stage_id: i64,
) -> Result<MarkingProgress, AppError> {
    let rubric = ssr::rubric_of(conn, stage_id).await.ok().map(|r| r.title);
    let panel = ssr::panel(conn, stage_id).await?;
    let (submissions, assigned, divergent, final_count): (i64, i64, i64, i64) = sqlx::query_as(
        "select cast(count(*) as bigint), cast(count(case when status <> 'open' then 1 end) as bigint), \
         cast(count(case when status = 'divergent' then 1 end) as bigint), cast(count(case when status = 'final' then 1 end) as bigint) \
         from submission where stage_id = $1",
    )
    .bind(stage_id)
    .fetch_one(&mut *conn)
    .await?;
    let (assignments, locked): (i64, i64) = sqlx::query_as(
        "select cast(count(*) as bigint), cast(count(a.locked_at) as bigint) from assignment a \
         join submission s on s.submission_id = a.submission_id where s.stage_id = $1",
    )
    .bind(stage_id)
    .fetch_one(&mut *conn)
    .await?;
    let p = ssr::policy(conn, stage_id).await?;
    let casefile: Option<String> =
        sqlx::query_scalar("select casefile_key from stage where stage_id = $1")
            .bind(stage_id)
            .fetch_one(&mut *conn)
            .await?;
    Ok(MarkingProgress {
        rubric,
        panel,
        submissions,
        assigned,
        locked,
        assignments,
        divergent,
        final_count,
        k: p.k as i64,
        aggregation: p.aggregation.code().to_owned(),
        divergence: p.divergence,
        casefile,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Examiners

#[server(prefix = "/api", endpoint = "marking_queue")]
pub async fn marking_queue() -> Result<QueueView, AppError> {
    use crate::server::{auth, state::app_state};
    use sqlx::Row;
    let user = auth::require_role(Role::Examiner).await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let rows = sqlx::query(
        "select s.submission_id, s.code, st.title as stage, st.kind, st.rubric, c.name as competition, a.locked_at, \
         cast((select count(*) from mark m where m.submission_id = a.submission_id and m.examiner_id = a.examiner_id) as bigint) as marked \
         from assignment a join submission s on s.submission_id = a.submission_id join stage st on st.stage_id = s.stage_id \
         join competition c on c.competition_id = st.competition_id where a.examiner_id = $1 \
         order by a.locked_at is not null, c.competition_id desc, st.position, s.code",
    )
    .bind(user.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut items = Vec::new();
    for r in rows {
        let rubric: RubricView =
            serde_json::from_str(&r.try_get::<String, _>("rubric")?).unwrap_or_default();
        let kind: String = r.try_get("kind")?;
        items.push(QueueItem {
            submission: r.try_get("submission_id")?,
            code: r.try_get("code")?,
            competition: r.try_get("competition")?,
            stage: r.try_get("stage")?,
            kind: StageKind::parse(&kind).unwrap_or(StageKind::Onsite),
            marked: r.try_get::<i64, _>("marked")? as usize,
            criteria: rubric.criterion.len(),
            locked: r.try_get::<Option<i64>, _>("locked_at")?.is_some(),
        });
    }
    let chief_of = sqlx::query_as::<_, (i64, String, String, i64)>(
        "select st.stage_id, c.name, st.title, cast((select count(*) from submission s where s.stage_id = st.stage_id and s.status = 'divergent') as bigint) \
         from stage_examiner x join stage st on st.stage_id = x.stage_id join competition c on c.competition_id = st.competition_id \
         where x.user_id = $1 and x.chief = 1 order by st.stage_id desc",
    )
    .bind(user.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(QueueView { items, chief_of })
}

#[cfg(feature = "ssr")]
async fn casefile_task(
    conn: &mut sqlx::AnyConnection,
    key: Option<&str>,
) -> Result<Option<(String, String, Vec<(String, String, String)>)>, AppError> {
    use crate::server::{content_store, markdown};
    let Some(key) = key else { return Ok(None) };
    let Some((_, body)) = content_store::published(conn, "casefile", key).await? else {
        return Ok(None);
    };
    let task: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| AppError::internal("casefile body", e))?;
    let mut docs = Vec::new();
    for id in task["documents"].as_array().cloned().unwrap_or_default() {
        let id = id.as_str().unwrap_or_default().to_owned();
        let (title, skeleton) = match content_store::published(conn, "doc_template", &id).await? {
            Some((_, b)) => {
                let v: serde_json::Value = serde_json::from_str(&b).unwrap_or_default();
                (
                    v["title"].as_str().unwrap_or(&id).to_owned(),
                    v["body"].as_str().unwrap_or_default().to_owned(),
                )
            }
            None => (id.clone(), String::new()),
        };
        docs.push((id, title, skeleton));
    }
    Ok(Some((
        task["title"].as_str().unwrap_or_default().to_owned(),
        markdown::render(task["facts"].as_str().unwrap_or_default()),
        docs,
    )))
}

#[server(prefix = "/api", endpoint = "marking_sheet")]
pub async fn marking_sheet(submission: i64) -> Result<SheetView, AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_role(Role::Examiner).await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let a = ssr::assigned(&mut conn, submission, user.id).await?;
    let rubric = ssr::rubric_of(&mut conn, a.stage.id).await?;
    let marks = ssr::marks_of(&mut conn, submission, user.id).await?;
    let key = casefile_key(&mut conn, a.stage.id).await?;
    let (facts_html, documents) = match casefile_task(&mut conn, key.as_deref()).await? {
        Some((_, facts, docs)) => (
            facts,
            docs.into_iter()
                .map(|(id, title, _)| (title, a.documents.get(&id).cloned().unwrap_or_default()))
                .collect(),
        ),
        None => (String::new(), Vec::new()),
    };
    Ok(SheetView {
        submission,
        code: a.code,
        stage: a.stage.title,
        kind: a.stage.kind,
        rubric,
        marks: marks.into_iter().collect(),
        locked: a.locked,
        total: a.total,
        facts_html,
        documents,
    })
}

#[cfg(feature = "ssr")]
async fn casefile_key(
    conn: &mut sqlx::AnyConnection,
    stage: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select casefile_key from stage where stage_id = $1")
        .bind(stage)
        .fetch_one(conn)
        .await
}

/// Saves one criterion as the examiner enters it.
#[server(prefix = "/api", endpoint = "save_criterion")]
#[tracing::instrument(skip_all)]
pub async fn save_criterion(
    submission: i64,
    criterion: String,
    value: String,
    note: Option<String>,
) -> Result<i64, AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_role(Role::Examiner).await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let a = ssr::assigned(&mut tx, submission, user.id).await?;
    let rubric = ssr::rubric_of(&mut tx, a.stage.id).await?;
    let c = rubric
        .criterion
        .iter()
        .find(|c| c.id == criterion)
        .ok_or(AppError::NotFound)?;
    let points = ssr::points_of(c, &value)?;
    let note: String = note.unwrap_or_default().trim().chars().take(300).collect();
    ssr::save_mark(&mut tx, &a, user.id, c, points, &note).await?;
    tx.commit().await?;
    Ok(points)
}

/// Saves every criterion on the sheet at once (the form without JavaScript) and, if asked, locks.
#[server(prefix = "/api", endpoint = "save_sheet")]
#[tracing::instrument(skip_all)]
pub async fn save_sheet(
    submission: i64,
    v: Option<BTreeMap<String, String>>,
    lock: Option<String>,
) -> Result<Option<i64>, AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_role(Role::Examiner).await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let a = ssr::assigned(&mut tx, submission, user.id).await?;
    let rubric = ssr::rubric_of(&mut tx, a.stage.id).await?;
    let v = v.unwrap_or_default();
    let existing = ssr::marks_of(&mut tx, submission, user.id).await?;
    for c in &rubric.criterion {
        let Some(raw) = v.get(&c.id).filter(|r| !r.trim().is_empty()) else {
            continue;
        };
        let points =
            ssr::points_of(c, raw).map_err(|_| AppError::field(&c.id, "grading.err_points"))?;
        let note = v
            .get(&format!("{}_note", c.id))
            .map(|n| n.trim().chars().take(300).collect::<String>())
            .unwrap_or_default();
        if existing.get(&c.id) != Some(&(points, note.clone())) {
            ssr::save_mark(&mut tx, &a, user.id, c, points, &note).await?;
        }
    }
    let total = if lock.is_some() {
        let a = ssr::assigned(&mut tx, submission, user.id).await?;
        Some(ssr::lock(&mut tx, &a, user.id, &rubric).await?)
    } else {
        None
    };
    tx.commit().await?;
    Ok(total)
}

// ---------------------------------------------------------------------------------------------------------------
// The chief examiner

#[cfg(feature = "ssr")]
async fn chief_stage(
    conn: &mut sqlx::AnyConnection,
    user: &crate::server::auth::CurrentUser,
    stage: i64,
) -> Result<crate::competition::ssr::StageRow, AppError> {
    if !ssr::is_chief(conn, stage, user.id).await? {
        return Err(AppError::NotFound);
    }
    crate::competition::ssr::stage(conn, stage)
        .await?
        .ok_or(AppError::NotFound)
}

/// The stage of a submission the user leads as chief examiner.
#[cfg(feature = "ssr")]
async fn chief_submission(
    conn: &mut sqlx::AnyConnection,
    user: &crate::server::auth::CurrentUser,
    submission: i64,
) -> Result<i64, AppError> {
    let stage: i64 = sqlx::query_scalar("select stage_id from submission where submission_id = $1")
        .bind(submission)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    chief_stage(conn, user, stage).await?;
    Ok(stage)
}

#[server(prefix = "/api", endpoint = "chief_view")]
pub async fn chief_view(stage: i64) -> Result<ChiefBoard, AppError> {
    use crate::server::{auth, state::app_state};
    use sqlx::Row;
    let user = auth::require_role(Role::Examiner).await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let s = chief_stage(&mut conn, &user, stage).await?;
    let policy = ssr::policy(&mut conn, stage).await?;
    let subs = sqlx::query(
        "select submission_id, code, status, score, arbitrated from submission where stage_id = $1 and status <> 'open' \
         order by case status when 'divergent' then 0 when 'marking' then 1 else 2 end, code",
    )
    .bind(stage)
    .fetch_all(&mut *conn)
    .await?;
    let marks = sqlx::query(
        "select a.submission_id, a.examiner_id, u.display_name, a.total from assignment a join app_user u on u.user_id = a.examiner_id \
         join submission s on s.submission_id = a.submission_id where s.stage_id = $1 order by a.examiner_id",
    )
    .bind(stage)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_sub: BTreeMap<i64, Vec<(i64, String, Option<i64>)>> = BTreeMap::new();
    let mut names: BTreeMap<i64, String> = BTreeMap::new();
    for m in &marks {
        let ex: i64 = m.try_get("examiner_id")?;
        let name: String = m.try_get("display_name")?;
        names.insert(ex, name.clone());
        by_sub
            .entry(m.try_get("submission_id")?)
            .or_default()
            .push((ex, name, m.try_get("total")?));
    }
    let mut rows = Vec::new();
    for r in subs {
        let id: i64 = r.try_get("submission_id")?;
        rows.push(ChiefRow {
            submission: id,
            code: r.try_get("code")?,
            status: r.try_get("status")?,
            score: r.try_get("score")?,
            arbitrated: r.try_get::<i64, _>("arbitrated")? != 0,
            totals: by_sub.remove(&id).unwrap_or_default(),
        });
    }
    let stats = rules::examiner_stats(&ssr::locked_totals(&mut conn, stage).await?);
    Ok(ChiefBoard {
        stage_id: stage,
        competition_id: s.competition_id,
        stage: s.title,
        divergence: policy.divergence,
        aggregation: policy.aggregation.code().to_owned(),
        rows,
        examiners: stats
            .into_iter()
            .map(|st| (names.get(&st.examiner).cloned().unwrap_or_default(), st))
            .collect(),
        rubric: ssr::rubric_of(&mut conn, stage).await?,
    })
}

#[server(prefix = "/api", endpoint = "arbitrate")]
#[tracing::instrument(skip_all)]
pub async fn arbitrate(submission: i64, score: String, reason: String) -> Result<(), AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_role(Role::Examiner).await?;
    let reason = reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field("reason", "grading.err_reason"));
    }
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let stage = chief_submission(&mut tx, &user, submission).await?;
    let rubric = ssr::rubric_of(&mut tx, stage).await?;
    let max: i64 = rubric.max_hundredths();
    let value: f64 = score
        .trim()
        .parse()
        .map_err(|_| AppError::field("score", "grading.err_score"))?;
    let hundredths = (value * 100.0).round() as i64;
    if !(0..=max).contains(&hundredths) {
        return Err(AppError::field("score", "grading.err_score"));
    }
    let status: String =
        sqlx::query_scalar("select status from submission where submission_id = $1")
            .bind(submission)
            .fetch_one(&mut *tx)
            .await?;
    if status == "marking" || status == "open" {
        return Err(AppError::field("score", "grading.err_not_marked_yet"));
    }
    ssr::arbitrate(
        &mut tx,
        user.id,
        submission,
        hundredths,
        &reason,
        "arbitrate",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The chief examiner changes one examiner's locked mark, with a reason.
#[server(prefix = "/api", endpoint = "chief_change_mark")]
#[tracing::instrument(skip_all)]
pub async fn chief_change_mark(
    submission: i64,
    examiner: i64,
    criterion: String,
    value: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_role(Role::Examiner).await?;
    let reason = reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field("reason", "grading.err_reason"));
    }
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let stage = chief_submission(&mut tx, &user, submission).await?;
    let rubric = ssr::rubric_of(&mut tx, stage).await?;
    let c = rubric
        .criterion
        .iter()
        .find(|c| c.id == criterion)
        .ok_or(AppError::NotFound)?;
    let points = ssr::points_of(c, &value)?;
    let locked: Option<Option<i64>> = sqlx::query_scalar(
        "select locked_at from assignment where submission_id = $1 and examiner_id = $2",
    )
    .bind(submission)
    .bind(examiner)
    .fetch_optional(&mut *tx)
    .await?;
    if !matches!(locked, Some(Some(_))) {
        return Err(AppError::field("value", "grading.err_not_locked"));
    }
    ssr::chief_change(&mut tx, user.id, submission, examiner, c, points, &reason).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// The candidate's case file

#[cfg(feature = "ssr")]
async fn own_casefile(
    conn: &mut sqlx::AnyConnection,
    user: &crate::server::auth::CurrentUser,
    stage: i64,
) -> Result<(crate::competition::ssr::StageRow, i64), AppError> {
    let s = crate::competition::ssr::stage(conn, stage)
        .await?
        .filter(|s| s.kind == StageKind::Casefile)
        .ok_or(AppError::NotFound)?;
    let entrant = crate::competition::ssr::entrant_of(conn, s.competition_id, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((s, entrant))
}

#[server(prefix = "/api", endpoint = "casefile_view")]
pub async fn casefile_view(stage: i64) -> Result<CasefileData, AppError> {
    use crate::server::{auth, db, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (s, entrant) = own_casefile(&mut tx, &user, stage).await?;
    let Some(started) = s
        .started_at
        .filter(|_| s.status != crate::competition::StageStatus::Draft)
    else {
        return Err(AppError::field("stage", "competition.err_not_started"));
    };
    let deadline = started + s.duration_s;
    let sub = ssr::submission_for(&mut tx, &s, entrant, Some(deadline), "open").await?;
    ssr::sweep(&mut tx, db::now()).await?;
    let (code, documents, submitted, deadline): (String, String, Option<i64>, Option<i64>) = sqlx::query_as(
        "select code, documents, submitted_at, deadline_at from submission where submission_id = $1",
    )
    .bind(sub)
    .fetch_one(&mut *tx)
    .await?;
    let given: BTreeMap<String, String> = serde_json::from_str(&documents).unwrap_or_default();
    let key = casefile_key(&mut tx, s.id).await?;
    let (title, facts_html, docs) = casefile_task(&mut tx, key.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(CasefileData {
        stage_id: s.id,
        stage: s.title,
        title,
        facts_html,
        documents: docs
            .into_iter()
            .map(|(id, t, skeleton)| {
                let text = given.get(&id).cloned().unwrap_or_default();
                (id, t, skeleton, text)
            })
            .collect(),
        seconds_left: deadline
            .filter(|_| submitted.is_none())
            .map(|d| (d - db::now()).max(0)),
        submitted: submitted.is_some(),
        code,
    })
}

/// Saves the documents as written; `submit` hands them in. Nothing is taken after the deadline.
#[server(prefix = "/api", endpoint = "save_casefile")]
#[tracing::instrument(skip_all)]
pub async fn save_casefile(
    stage: i64,
    doc: Option<BTreeMap<String, String>>,
    submit: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{auth, db, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (s, entrant) = own_casefile(&mut tx, &user, stage).await?;
    let row: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "select submission_id, deadline_at, submitted_at from submission where stage_id = $1 and entrant_id = $2",
    )
    .bind(s.id)
    .bind(entrant)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((sub, deadline, submitted)) = row else {
        return Err(AppError::NotFound);
    };
    let now = db::now();
    if submitted.is_some() || deadline.is_some_and(|d| d + crate::competition::ssr::GRACE_S < now) {
        return Err(AppError::field("doc", "grading.err_casefile_closed"));
    }
    let doc: BTreeMap<String, String> = doc
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.chars().take(20_000).collect()))
        .collect();
    sqlx::query("update submission set documents = $1, submitted_at = $2 where submission_id = $3 and submitted_at is null")
        .bind(serde_json::to_string(&doc).unwrap_or_default())
        .bind(submit.is_some().then_some(now))
        .bind(sub)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Pages

fn agg_label(code: &str) -> String {
    t(&format!("grading.agg_{code}"))
}

#[component]
pub fn MarkingQueuePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| marking_queue());
    view! { <Protected role=Role::Examiner><MarkingQueueBody data/></Protected> }
}

#[component]
fn MarkingQueueBody(data: Resource<Result<QueueView, AppError>>) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("grading.queue_title")/>
        <PageHeader title=t("grading.queue_title") subtitle=t("grading.queue_hint")/>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(q) => {
                        let done = q.items.iter().filter(|i| i.locked).count();
                        let total = q.items.len();
                        view! {
                            {(!q.chief_of.is_empty()).then(|| view! {
                                <section class="card">
                                    <h2>{t("grading.chief_title")}</h2>
                                    <ul class="plain">{q.chief_of.iter().map(|(id, c, s, n)| view! {
                                        <li><a href=format!("/marking/stages/{id}")>{format!("{c} · {s}")}</a>{" "}
                                            {(*n > 0).then(|| view! { <span class="tag tag-warn">{t_with("grading.divergent_n", &[("n", &n.to_string())])}</span> })}</li>
                                    }).collect_view()}</ul>
                                </section>
                            })}
                            {if q.items.is_empty() {
                                view! { <Empty title=t("grading.queue_empty") hint=t("grading.queue_empty_hint")/> }.into_any()
                            } else {
                                view! {
                                    <p class="progress-line" id="queue-progress">{t_with("grading.progress", &[("done", &done.to_string()), ("n", &total.to_string())])}</p>
                                    <progress max=total.to_string() value=done.to_string() class="bar"></progress>
                                    <ul class="plain queue" id="queue">{q.items.into_iter().map(|i| view! {
                                        <li class="queue-item" class:locked=i.locked>
                                            <a href=format!("/marking/{}", i.submission)>
                                                <strong class="mono code">{i.code.clone()}</strong>
                                                <span class="small muted">{format!(" {} · {}", i.competition, i.stage)}</span>
                                            </a>
                                            <span class="small">{if i.locked { t("grading.locked") } else { format!("{}/{}", i.marked, i.criteria) }}</span>
                                        </li>
                                    }).collect_view()}</ul>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn MarkingSheetPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let save = ServerAction::<SaveCriterion>::new();
    let sheet = ServerAction::<SaveSheet>::new();
    let data = Resource::new(
        move || (id(), sheet.version().get()),
        |(id, _)| marking_sheet(id),
    );
    view! { <Protected role=Role::Examiner><MarkingSheetBody save sheet data/></Protected> }
}

#[component]
fn MarkingSheetBody(
    save: ServerAction<SaveCriterion>,
    sheet: ServerAction<SaveSheet>,
    data: Resource<Result<SheetView, AppError>>,
) -> impl IntoView {
    view! {
        <p><a href="/marking">{t("grading.back_queue")}</a></p>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(m) => sheet_view(save, sheet, m).into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn sheet_view(
    save: ServerAction<SaveCriterion>,
    sheet: ServerAction<SaveSheet>,
    m: SheetView,
) -> impl IntoView {
    let sub = m.submission.to_string();
    let max: i64 = m.rubric.max_hundredths();
    let locked = m.locked;
    let running: i64 = m.marks.values().map(|(p, _)| p).sum();
    view! {
        <leptos_meta::Title text=format!("{} · {}", m.code, t("grading.sheet"))/>
        <PageHeader title=format!("{} {}", t("grading.candidate_code"), m.code) subtitle=format!("{} · {}", m.stage, m.rubric.title)>
            <span class="tag score-tag" id="sheet-total">{t_with("grading.total", &[("score", &points(m.total.unwrap_or(running))), ("max", &points(max))])}</span>
        </PageHeader>
        {locked.then(|| view! { <p class="alert alert-ok" id="locked-note">{t("grading.locked_note")}</p> })}
        {(!m.rubric.note.is_empty()).then(|| view! { <details class="card small"><summary>{t("grading.rubric_note")}</summary><p class="pre">{m.rubric.note.clone()}</p></details> })}
        {(!m.facts_html.is_empty()).then(|| view! {
            <details class="card"><summary>{t("grading.task")}</summary><div class="prose" inner_html=m.facts_html.clone()></div></details>
        })}
        {m.documents.iter().map(|(title, text)| view! {
            <section class="card doc-answer">
                <h2>{title.clone()}</h2>
                <pre class="answer-text">{if text.trim().is_empty() { t("grading.empty_document") } else { text.clone() }}</pre>
            </section>
        }).collect_view()}
        <ActionFeedback action=save/>
        <ActionFeedback action=sheet ok_key="grading.sheet_saved"/>
        // One form for the whole sheet (works without JavaScript); with JavaScript each criterion also saves as it
        // is entered.
        <ActionForm action=sheet attr:class="form marking-form" attr:id="marking-form">
            <input type="hidden" name="submission" value=sub.clone()/>
            {m.rubric.criterion.iter().map(|c| {
                let (given, note) = m.marks.get(&c.id).cloned().map(|(p, n)| (Some(p), n)).unwrap_or((None, String::new()));
                let cid = c.id.clone();
                let sub = m.submission;
                let field = format!("v[{}]", c.id);
                let note_field = format!("v[{}_note]", c.id);
                let send = move |value: String| {
                    save.dispatch(SaveCriterion { submission: sub, criterion: cid.clone(), value, note: None });
                };
                let send2 = send.clone();
                view! {
                    <fieldset class="criterion" id=format!("crit-{}", c.id) class:veto=c.veto>
                        <legend>{c.title.clone()}{" "}<span class="small muted">{t_with("grading.max", &[("n", &c.max.to_string())])}</span>
                            {c.veto.then(|| view! { <span class="tag tag-warn">{t("grading.veto")}</span> })}</legend>
                        {(!c.guide.is_empty()).then(|| view! { <p class="small">{c.guide.clone()}</p> })}
                        {(!c.deductions.is_empty()).then(|| view! { <p class="small muted">{c.deductions.clone()}</p> })}
                        {if c.levels.len() == 4 {
                            let level_given = given.map(|p| (0..=3).find(|l| ssr_free_level_points(c.max, *l) == p).unwrap_or(-1));
                            view! {
                                <div class="levels">{c.levels.iter().enumerate().map(|(l, text)| {
                                    let send = send.clone();
                                    let value = l.to_string();
                                    let value2 = value.clone();
                                    view! {
                                        <label class="level">
                                            <input type="radio" name=field.clone() value=value checked=level_given == Some(l as i64) disabled=locked
                                                on:change=move |_| send(value2.clone())/>
                                            <span><strong>{l.to_string()}</strong>{" "}{text.clone()}<span class="small muted">{format!(" ({})", points(ssr_free_level_points(c.max, l as i64)))}</span></span>
                                        </label>
                                    }
                                }).collect_view()}</div>
                            }.into_any()
                        } else {
                            view! {
                                <label class="points">{t("grading.points")}
                                    <input name=field.clone() inputmode="decimal" value=given.map(points).unwrap_or_default() disabled=locked
                                        on:change=move |ev| send2(event_target_value(&ev))/>
                                </label>
                            }.into_any()
                        }}
                        <input type="text" name=note_field class="note" placeholder=t("grading.note") aria-label=t("grading.note") value=note disabled=locked maxlength="300"/>
                    </fieldset>
                }
            }).collect_view()}
            {(!locked).then(|| view! {
                <div class="actions">
                    <button type="submit" class="btn" id="sheet-save">{t("grading.save")}</button>
                    <button type="submit" class="btn btn-primary" name="lock" value="1" id="sheet-lock">{t("grading.lock")}</button>
                </div>
                <p class="small muted">{t("grading.lock_hint")}</p>
            })}
        </ActionForm>
    }
}

/// Level L of a criterion worth `max` earns max × L / 3 (hundredths); the same rule as the server's.
pub fn ssr_free_level_points(max: u32, level: i64) -> i64 {
    (i64::from(max) * 100 * level + 1) / 3
}

#[component]
pub fn ChiefPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let arb = ServerAction::<Arbitrate>::new();
    let change = ServerAction::<ChiefChangeMark>::new();
    let data = Resource::new(
        move || (id(), arb.version().get(), change.version().get()),
        |(id, ..)| chief_view(id),
    );
    view! { <Protected role=Role::Examiner><ChiefBody arb change data/></Protected> }
}

#[component]
fn ChiefBody(
    arb: ServerAction<Arbitrate>,
    change: ServerAction<ChiefChangeMark>,
    data: Resource<Result<ChiefBoard, AppError>>,
) -> impl IntoView {
    view! {
        <p><a href="/marking">{t("grading.back_queue")}</a></p>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! {
                        <leptos_meta::Title text=t("grading.chief_title")/>
                        <PageHeader title=format!("{} · {}", v.stage, t("grading.chief_title"))
                            subtitle=t_with("grading.chief_rules", &[("agg", &agg_label(&v.aggregation)), ("d", &points(v.divergence))])/>
                        <ActionFeedback action=arb ok_key="grading.arbitrated"/>
                        <ActionFeedback action=change ok_key="grading.changed"/>
                        <section class="card">
                            <h2>{t("grading.examiners")}</h2>
                            <p class="small muted">{t("grading.severity_hint")}</p>
                            <div class="table-wrap"><table class="table" id="examiner-stats">
                                <thead><tr><th>{t("grading.examiner")}</th><th>{t("grading.marked")}</th><th>{t("grading.severity")}</th><th>{t("grading.consistency")}</th></tr></thead>
                                <tbody>{v.examiners.iter().map(|(name, s)| view! {
                                    <tr><td>{name.clone()}</td><td>{s.marked}</td><td>{format!("{:+.2}", s.severity)}</td><td>{format!("{:.2}", s.consistency)}</td></tr>
                                }).collect_view()}</tbody>
                            </table></div>
                        </section>
                        <div class="table-wrap"><table class="table" id="chief-rows">
                            <thead><tr><th>{t("grading.candidate_code")}</th><th>{t("grading.examiner_totals")}</th><th>{t("grading.score")}</th><th></th></tr></thead>
                            <tbody>{v.rows.into_iter().map(|r| {
                                let divergent = r.status == "divergent";
                                let sub = r.submission.to_string();
                                view! {
                                    <tr class:divergent=divergent id=format!("row-{}", r.code)>
                                        <td class="mono">{r.code.clone()}<br/><span class="small muted">{t(&format!("grading.status_{}", r.status))}</span></td>
                                        <td class="small">{r.totals.iter().map(|(_, n, tot)| format!("{n}: {}", tot.map(points).unwrap_or_else(|| "—".into()))).collect::<Vec<_>>().join(" · ")}</td>
                                        <td>{r.score.map(points).unwrap_or_else(|| "—".into())}{r.arbitrated.then(|| format!(" ({})", t("grading.arbitrated_tag")))}</td>
                                        <td>{(r.status != "marking").then(|| view! {
                                            <ActionForm action=arb attr:class="form-inline arbitrate">
                                                <input type="hidden" name="submission" value=sub.clone()/>
                                                <input name="score" inputmode="decimal" required size="5" placeholder=t("grading.score") aria-label=t("grading.score")/>
                                                <input name="reason" required maxlength="200" placeholder=t("grading.reason") aria-label=t("grading.reason")/>
                                                <button type="submit" class="btn btn-small" class:btn-primary=divergent>{t("grading.arbitrate")}</button>
                                            </ActionForm>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table></div>
                        <section class="card">
                            <h2>{t("grading.change_title")}</h2>
                            <p class="small muted">{t("grading.change_hint")}</p>
                            <ActionForm action=change attr:class="form form-grid" attr:id="change-form">
                                <label>{t("grading.submission_id")}<input name="submission" inputmode="numeric" required/></label>
                                <label>{t("grading.examiner_id")}<input name="examiner" inputmode="numeric" required/></label>
                                <label>{t("grading.criterion")}<select name="criterion">
                                    {v.rubric.criterion.iter().map(|c| view! { <option value=c.id.clone()>{c.title.clone()}</option> }).collect_view()}
                                </select></label>
                                <label>{t("grading.value")}<input name="value" required/></label>
                                <label>{t("grading.reason")}<input name="reason" required maxlength="200"/></label>
                                <button type="submit" class="btn">{t("grading.change")}</button>
                            </ActionForm>
                        </section>
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn CasefilePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let save = ServerAction::<SaveCasefile>::new();
    let data = Resource::new(
        move || (id(), save.version().get()),
        |(id, _)| casefile_view(id),
    );
    view! { <Protected><CasefileBody save data/></Protected> }
}

#[component]
fn CasefileBody(
    save: ServerAction<SaveCasefile>,
    data: Resource<Result<CasefileData, AppError>>,
) -> impl IntoView {
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! {
                        <leptos_meta::Title text=v.stage.clone()/>
                        <PageHeader title=v.stage.clone() subtitle=format!("{} · {} {}", v.title, t("grading.candidate_code"), v.code)/>
                        {v.seconds_left.map(|s| view! { <p class="alert" id="casefile-time">{t_with("grading.time_left", &[("min", &(s / 60).to_string())])}</p> })}
                        <details class="card" open><summary>{t("grading.task")}</summary><div class="prose" inner_html=v.facts_html.clone()></div></details>
                        <ActionFeedback action=save ok_key="grading.casefile_saved"/>
                        {if v.submitted {
                            view! { <p class="alert alert-ok" id="casefile-done">{t("grading.casefile_submitted")}</p> }.into_any()
                        } else {
                            let stage = v.stage_id.to_string();
                            view! {
                                <ActionForm action=save attr:class="form casefile-form" attr:id="casefile-form">
                                    <input type="hidden" name="stage" value=stage/>
                                    {v.documents.into_iter().map(|(id, title, skeleton, text)| {
                                        let initial = if text.is_empty() { skeleton } else { text };
                                        view! {
                                            <label for=format!("doc-{id}")><strong>{title}</strong></label>
                                            <textarea id=format!("doc-{id}") name=format!("doc[{id}]") rows="16" maxlength="20000">{crate::ui::rcdata_text(&initial)}</textarea>
                                        }
                                    }).collect_view()}
                                    <div class="actions">
                                        <button type="submit" class="btn" id="casefile-save">{t("grading.save")}</button>
                                        <button type="submit" class="btn btn-primary" name="submit" value="1" id="casefile-submit">{t("grading.casefile_submit")}</button>
                                    </div>
                                </ActionForm>
                            }.into_any()
                        }}
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
