//! Competitions (技术比武): a competition with stages and a roster, run by admins within their unit's scope. The
//! theory stage is a timed paper drawn per candidate from the bank and sat in the exam room (`exam`, plain HTML
//! with a small script, so 10,000 phones start at once); the practical stage is a timed scenario attempt.
//! Examiner-graded stages (on-site practical, case file) are set up here and marked in the grading module.

pub mod results;
pub mod rules;
pub mod standings;

#[cfg(feature = "ssr")]
pub mod exam;
#[cfg(feature = "ssr")]
pub mod practical;
#[cfg(feature = "ssr")]
pub mod ssr;

use crate::accounts::Protected;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, t_with};
use crate::ui::{ActionFeedback, Empty, PageHeader, format_time};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use rules::{Band, MultipleRule};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    National,
    Provincial,
    City,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::National, Level::Provincial, Level::City];
    pub fn code(self) -> &'static str {
        match self {
            Level::National => "national",
            Level::Provincial => "provincial",
            Level::City => "city",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == s)
    }
}

/// draft → open (enrolment) → running → grading → 公示 (publicity) → final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Draft,
    Open,
    Running,
    Grading,
    Publicity,
    Final,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Draft,
        Status::Open,
        Status::Running,
        Status::Grading,
        Status::Publicity,
        Status::Final,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Open => "open",
            Status::Running => "running",
            Status::Grading => "grading",
            Status::Publicity => "publicity",
            Status::Final => "final",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|l| l.code() == s)
    }
    /// The one status that follows, if any.
    pub fn next(self) -> Option<Status> {
        let i = Status::ALL.iter().position(|s| *s == self)?;
        Status::ALL.get(i + 1).copied()
    }
    /// Candidates can still be added or removed.
    pub fn enrolling(self) -> bool {
        matches!(self, Status::Draft | Status::Open)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StageKind {
    Theory,
    Scenario,
    Onsite,
    Casefile,
}

impl StageKind {
    pub const ALL: [StageKind; 4] = [
        StageKind::Theory,
        StageKind::Scenario,
        StageKind::Onsite,
        StageKind::Casefile,
    ];
    pub fn code(self) -> &'static str {
        match self {
            StageKind::Theory => "theory",
            StageKind::Scenario => "scenario",
            StageKind::Onsite => "onsite",
            StageKind::Casefile => "casefile",
        }
    }
    pub fn parse(s: &str) -> Option<StageKind> {
        StageKind::ALL.into_iter().find(|l| l.code() == s)
    }
    /// Sat on the platform against the clock and scored by the machine (the others are marked by examiners).
    pub fn timed(self) -> bool {
        matches!(self, StageKind::Theory | StageKind::Scenario)
    }

    /// Candidates sit it on the platform within the stage's time: a waiting room, a start, an end.
    pub fn sat(self) -> bool {
        !matches!(self, StageKind::Onsite)
    }
}

/// draft → waiting (papers drawn, waiting room open) → running → closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StageStatus {
    Draft,
    Waiting,
    Running,
    Closed,
}

impl StageStatus {
    pub fn code(self) -> &'static str {
        match self {
            StageStatus::Draft => "draft",
            StageStatus::Waiting => "waiting",
            StageStatus::Running => "running",
            StageStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<StageStatus> {
        [
            StageStatus::Draft,
            StageStatus::Waiting,
            StageStatus::Running,
            StageStatus::Closed,
        ]
        .into_iter()
        .find(|l| l.code() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosterError {
    pub row: usize,
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosterReport {
    pub file_name: String,
    pub rows: usize,
    pub enrolled: usize,
    pub errors: Vec<RosterError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShownQuestion {
    pub pos: i64,
    pub kind: String,
    pub stem: String,
    /// (the question's own letter, text) in this paper's order.
    pub options: Vec<(String, String)>,
    pub points: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuestionStats {
    pub key: String,
    pub stem: String,
    pub kind: String,
    pub answer: String,
    pub voided: bool,
    pub stats: rules::ItemStats,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompetitionCard {
    pub id: i64,
    pub name: String,
    pub level: Level,
    pub status: Status,
    pub unit: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageAdmin {
    pub id: i64,
    pub kind: StageKind,
    pub title: String,
    pub weight: i64,
    pub starts_at: Option<i64>,
    pub duration_s: i64,
    pub status: StageStatus,
    pub started_at: Option<i64>,
    pub released: bool,
    pub blueprint: Option<rules::Blueprint>,
    pub scenario_key: Option<String>,
    pub sittings: i64,
    pub present: i64,
    pub submitted: i64,
    /// Rows of the blueprint the bank cannot fill: (row number from 1, available, wanted).
    pub shortfalls: Vec<(usize, usize, u32)>,
    /// Examiner-marked stages: rubric, panel and marking progress.
    pub marking: Option<crate::grading::MarkingProgress>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntrantView {
    pub candidate_no: String,
    pub name: String,
    pub username: String,
    pub unit: String,
    pub team: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompetitionAdmin {
    pub card: CompetitionCard,
    pub stages: Vec<StageAdmin>,
    pub entrants: Vec<EntrantView>,
    pub teams: Vec<(String, String, i64)>,
    pub scenarios: Vec<(String, String)>,
    /// Content rubrics (key, title, kind) and case-file tasks (key, title).
    pub rubrics: Vec<(String, String, String)>,
    pub casefiles: Vec<(String, String)>,
    pub report: Option<RosterReport>,
    pub now: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyStage {
    pub id: i64,
    pub kind: StageKind,
    pub title: String,
    pub weight: i64,
    pub starts_at: Option<i64>,
    pub duration_s: i64,
    pub status: StageStatus,
    pub submitted: bool,
    /// Only once results are released.
    pub score: Option<(i64, i64)>,
    /// An examiner-marked stage's blind code: the candidate shows it at the venue, examiners see nothing else.
    pub code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyCompetition {
    pub id: i64,
    pub name: String,
    pub level: Level,
    pub status: Status,
    pub candidate_no: String,
    pub team: Option<String>,
    pub stages: Vec<MyStage>,
    /// Once results are published (公示 or final).
    pub standing: Option<standings::MyStanding>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageStatsView {
    pub competition_id: i64,
    pub competition: String,
    pub stage: String,
    pub closed: bool,
    pub submitted: i64,
    pub mean: f64,
    pub max_score: i64,
    pub questions: Vec<QuestionStats>,
}

/// Hundredths of a point as shown: "12", "12.5".
pub fn points(hundredths: i64) -> String {
    if hundredths % 100 == 0 {
        (hundredths / 100).to_string()
    } else {
        format!("{:.2}", hundredths as f64 / 100.0)
            .trim_end_matches('0')
            .to_owned()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Server functions: admin

#[cfg(feature = "ssr")]
mod guard {
    use super::ssr::{self, CompetitionRow, StageRow};
    use crate::error::AppError;
    use crate::server::auth::CurrentUser;
    use sqlx::AnyConnection;

    /// The competition, if it is run by a unit inside the admin's scope.
    pub async fn competition(
        conn: &mut AnyConnection,
        admin: &CurrentUser,
        id: i64,
    ) -> Result<CompetitionRow, AppError> {
        ssr::competition(conn, id)
            .await?
            .filter(|c| admin.scopes(&c.unit_path))
            .ok_or(AppError::NotFound)
    }

    pub async fn stage(
        conn: &mut AnyConnection,
        admin: &CurrentUser,
        id: i64,
    ) -> Result<(CompetitionRow, StageRow), AppError> {
        let s = ssr::stage(conn, id).await?.ok_or(AppError::NotFound)?;
        let c = competition(conn, admin, s.competition_id).await?;
        Ok((c, s))
    }
}

/// The competitions in an admin's scope, and the units that may organise one (code, name).
pub type CompetitionList = (Vec<CompetitionCard>, Vec<(String, String)>);

#[server(prefix = "/api", endpoint = "list_competitions")]
pub async fn list_competitions() -> Result<CompetitionList, AppError> {
    use crate::server::{auth, state::app_state, units};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let list = ssr::competitions_in(&mut conn, &admin.unit_path)
        .await?
        .into_iter()
        .map(|c| CompetitionCard {
            id: c.id,
            name: c.name,
            level: c.level,
            status: c.status,
            unit: c.unit_name,
        })
        .collect();
    let units = units::subtree(&mut conn, &admin.unit_path)
        .await?
        .into_iter()
        .filter(|u| u.level <= 2)
        .map(|u| (u.code, u.name))
        .collect();
    Ok((list, units))
}

#[server(prefix = "/api", endpoint = "create_competition")]
#[tracing::instrument(skip_all)]
pub async fn create_competition(
    name: String,
    level: String,
    unit: String,
) -> Result<i64, AppError> {
    use crate::server::{audit, auth, state::app_state, units};
    let admin = auth::require_admin().await?;
    let name = name.trim().to_owned();
    if name.chars().count() < 2 || name.chars().count() > 80 {
        return Err(AppError::field("name", "competition.err_name"));
    }
    let level = Level::parse(&level).ok_or(AppError::field("level", "competition.err_level"))?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let unit = units::by_code(&mut tx, unit.trim())
        .await?
        .filter(|u| admin.scopes(&u.path))
        .ok_or(AppError::field("unit", "competition.err_unit"))?;
    let id = ssr::create_competition(&mut tx, &name, level, unit.unit_id, admin.id).await?;
    audit::by(
        &mut tx,
        &admin,
        "competition_create",
        &format!("competition:{id}"),
        &name,
        &unit.path,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/admin/competitions/{id}"));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "get_competition_admin")]
pub async fn get_competition_admin(
    id: i64,
    report: Option<i64>,
) -> Result<CompetitionAdmin, AppError> {
    use crate::server::{auth, db, state::app_state};
    use sqlx::Row;
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let c = guard::competition(&mut conn, &admin, id).await?;
    let bank = ssr::bank(&mut conn).await?;
    let mut stages = Vec::new();
    for s in ssr::stages(&mut conn, id).await? {
        let row = sqlx::query(
            "select cast(count(*) as bigint) as n, cast(count(claimed_at) as bigint) as present, \
             cast(count(submitted_at) as bigint) as submitted from exam_sitting where stage_id = $1",
        )
        .bind(s.id)
        .fetch_one(&mut *conn)
        .await?;
        let shortfalls = s
            .blueprint
            .as_ref()
            .map(|b| {
                ssr::shortfalls(b, &bank)
                    .into_iter()
                    .map(|(i, have, want)| (i + 1, have, want))
                    .collect()
            })
            .unwrap_or_default();
        stages.push(StageAdmin {
            id: s.id,
            kind: s.kind,
            title: s.title,
            weight: s.weight,
            starts_at: s.starts_at,
            duration_s: s.duration_s,
            status: s.status,
            started_at: s.started_at,
            released: s.released,
            blueprint: s.blueprint,
            scenario_key: s.scenario_key,
            sittings: row.try_get("n")?,
            present: row.try_get("present")?,
            submitted: row.try_get("submitted")?,
            shortfalls,
            marking: if s.kind.timed() {
                None
            } else {
                Some(crate::grading::progress(&mut conn, s.id).await?)
            },
        });
    }
    let entrants = ssr::entrants(&mut conn, id)
        .await?
        .into_iter()
        .map(|e| EntrantView {
            candidate_no: e.candidate_no,
            name: e.display_name,
            username: e.username,
            unit: e.unit_name,
            team: e.team,
        })
        .collect();
    let teams = sqlx::query_as::<_, (String, String, i64)>(
        "select t.name, u.name, cast((select count(*) from entrant e where e.team_id = t.team_id) as bigint) \
         from team t join unit u on u.unit_id = t.unit_id where t.competition_id = $1 order by t.name",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let scenarios = sqlx::query_as::<_, (String, String)>(
        "select item_key, title from content_item where kind = 'scenario' and status = 'published' order by item_key",
    )
    .fetch_all(&mut *conn)
    .await?;
    let rubrics: Vec<(String, String, String)> =
        crate::server::content_store::published_all(&mut conn, "rubric")
            .await?
            .iter()
            .filter_map(|b| serde_json::from_str::<crate::grading::RubricView>(b).ok())
            .map(|r| (r.id, r.title, r.kind))
            .collect();
    let casefiles = sqlx::query_as::<_, (String, String)>(
        "select item_key, title from content_item where kind = 'casefile' and status = 'published' order by item_key",
    )
    .fetch_all(&mut *conn)
    .await?;
    let report = match report {
        Some(rid) => sqlx::query_scalar::<_, String>(
            "select report from roster_import where import_id = $1 and created_by = $2 and file_name like $3",
        )
        .bind(rid)
        .bind(admin.id)
        .bind(format!("competition:{id}:%"))
        .fetch_optional(&mut *conn)
        .await?
        .and_then(|r| serde_json::from_str(&r).ok()),
        None => None,
    };
    Ok(CompetitionAdmin {
        card: CompetitionCard {
            id: c.id,
            name: c.name,
            level: c.level,
            status: c.status,
            unit: c.unit_name,
        },
        stages,
        entrants,
        teams,
        scenarios,
        rubrics,
        casefiles,
        report,
        now: db::now(),
    })
}

#[server(prefix = "/api", endpoint = "advance_competition")]
#[tracing::instrument(skip_all)]
pub async fn advance_competition(id: i64, to: String) -> Result<(), AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let c = guard::competition(&mut tx, &admin, id).await?;
    let to = Status::parse(&to).ok_or(AppError::field("status", "competition.err_status"))?;
    if c.status.next() != Some(to) {
        return Err(AppError::field("status", "competition.err_status"));
    }
    ssr::set_status(&mut tx, id, to).await?;
    audit::by(
        &mut tx,
        &admin,
        "competition_status",
        &format!("competition:{id}"),
        to.code(),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Reads the six blueprint lines of the stage form (`bp[kind0]`, `bp[topic0]`, …); empty lines are skipped.
pub fn blueprint_from_form(
    form: &BTreeMap<String, String>,
    rule: &str,
) -> Result<rules::Blueprint, AppError> {
    let mut rows = Vec::new();
    for i in 0..BLUEPRINT_LINES {
        let get = |f: &str| form.get(&format!("{f}{i}")).map(|s| s.trim()).unwrap_or("");
        let count = get("count");
        if count.is_empty() || count == "0" {
            continue;
        }
        let kind = get("kind");
        if !rules::PAPER_KINDS.contains(&kind) {
            return Err(AppError::field(
                "blueprint",
                "competition.err_blueprint_kind",
            ));
        }
        let topic = get("topic");
        if !topic.is_empty() && !rules::TOPICS.contains(&topic) {
            return Err(AppError::field("blueprint", "competition.err_blueprint"));
        }
        let count: u32 =
            count
                .parse()
                .ok()
                .filter(|n| (1..=200).contains(n))
                .ok_or(AppError::field(
                    "blueprint",
                    "competition.err_blueprint_count",
                ))?;
        let points: u32 = get("points")
            .parse()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or(AppError::field(
                "blueprint",
                "competition.err_blueprint_points",
            ))?;
        rows.push(rules::BlueprintRow {
            kind: kind.to_owned(),
            topic: (!topic.is_empty()).then(|| topic.to_owned()),
            band: Band::parse(get("band")),
            count,
            points,
        });
    }
    if rows.is_empty() {
        return Err(AppError::field(
            "blueprint",
            "competition.err_blueprint_empty",
        ));
    }
    Ok(rules::Blueprint {
        rows,
        multiple_rule: MultipleRule::parse(rule).unwrap_or_default(),
    })
}

pub const BLUEPRINT_LINES: usize = 6;

#[server(prefix = "/api", endpoint = "save_stage")]
#[tracing::instrument(skip_all)]
pub async fn save_stage(
    competition: i64,
    stage: Option<i64>,
    kind: String,
    title: String,
    weight: String,
    starts_at: Option<String>,
    minutes: String,
    scenario: Option<String>,
    rule: Option<String>,
    bp: Option<BTreeMap<String, String>>,
) -> Result<i64, AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let kind = StageKind::parse(&kind).ok_or(AppError::field("kind", "competition.err_kind"))?;
    let title = title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 60 {
        return Err(AppError::field("title", "competition.err_title"));
    }
    let weight: i64 = weight
        .trim()
        .parse()
        .ok()
        .filter(|w| (0..=100).contains(w))
        .ok_or(AppError::field("weight", "competition.err_weight"))?;
    let minutes: i64 = minutes
        .trim()
        .parse()
        .ok()
        .filter(|m| (1..=600).contains(m))
        .ok_or(AppError::field("minutes", "competition.err_minutes"))?;
    let starts_at = match starts_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            crate::study::events::parse_local(s)
                .ok_or(AppError::field("starts_at", "competition.err_starts"))?,
        ),
    };
    let blueprint = if kind == StageKind::Theory {
        Some(blueprint_from_form(
            &bp.unwrap_or_default(),
            rule.as_deref().unwrap_or(""),
        )?)
    } else {
        None
    };
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let c = guard::competition(&mut tx, &admin, competition).await?;
    let scenario = if kind == StageKind::Scenario {
        let key = scenario.unwrap_or_default();
        crate::server::content_store::published(&mut tx, "scenario", &key)
            .await?
            .ok_or(AppError::field("scenario", "competition.err_scenario"))?;
        Some(key)
    } else {
        None
    };
    if let Some(bp) = &blueprint {
        let bank = ssr::bank(&mut tx).await?;
        if let Some((row, have, _)) = ssr::shortfalls(bp, &bank).first() {
            tracing::info!(row, have, "blueprint asks more than the bank holds");
            return Err(AppError::field(
                "blueprint",
                if *have == 0 {
                    "competition.err_bank_empty"
                } else {
                    "competition.err_bank_short"
                },
            ));
        }
    }
    let new = ssr::NewStage {
        kind,
        title: &title,
        weight,
        starts_at,
        duration_s: minutes * 60,
        blueprint: blueprint.as_ref(),
        scenario_key: scenario.as_deref(),
    };
    let id = match stage {
        Some(sid) => {
            let s = ssr::stage(&mut tx, sid)
                .await?
                .filter(|s| s.competition_id == c.id)
                .ok_or(AppError::NotFound)?;
            if s.status != StageStatus::Draft {
                return Err(AppError::field("stage", "competition.err_stage_locked"));
            }
            ssr::update_stage(&mut tx, sid, &new).await?;
            sid
        }
        None => ssr::add_stage(&mut tx, c.id, &new).await?,
    };
    audit::by(
        &mut tx,
        &admin,
        "competition_stage",
        &format!("stage:{id}"),
        &title,
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[server(prefix = "/api", endpoint = "enrol_candidates")]
#[tracing::instrument(skip_all)]
pub async fn enrol_candidates(competition: i64, lines: String) -> Result<RosterReport, AppError> {
    let cells: Vec<Vec<String>> = std::iter::once(vec!["username".to_owned(), "team".to_owned()])
        .chain(lines.lines().filter(|l| !l.trim().is_empty()).map(|l| {
            l.split([',', '，', '\t'])
                .map(|c| c.trim().to_owned())
                .collect()
        }))
        .collect();
    enrol_cells(competition, "", cells).await
}

#[cfg(feature = "ssr")]
async fn enrol_cells(
    competition: i64,
    file_name: &str,
    cells: Vec<Vec<String>>,
) -> Result<RosterReport, AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let lines = ssr::roster_lines(&cells).map_err(|k| AppError::field("file", k))?;
    if lines.is_empty() {
        return Err(AppError::field("file", "competition.roster_err_empty"));
    }
    if lines.len() > 20_000 {
        return Err(AppError::field("file", "competition.roster_err_too_many"));
    }
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let c = guard::competition(&mut tx, &admin, competition).await?;
    if !c.status.enrolling() {
        return Err(AppError::field("file", "competition.err_not_enrolling"));
    }
    let (enrolled, errors) = ssr::enrol(&mut tx, &c, &lines).await?;
    audit::by(
        &mut tx,
        &admin,
        "competition_enrol",
        &format!("competition:{}", c.id),
        &format!("{enrolled}/{}", lines.len()),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(RosterReport {
        file_name: file_name.to_owned(),
        rows: lines.len(),
        enrolled,
        errors,
    })
}

#[server(prefix = "/api", endpoint = "import_entrants", input = leptos::server_fn::codec::MultipartFormData)]
#[tracing::instrument(skip_all)]
pub async fn import_entrants(
    data: leptos::server_fn::codec::MultipartData,
) -> Result<i64, AppError> {
    use crate::server::{auth, db, state::app_state};
    let admin = auth::require_admin().await?;
    let mut multipart = data.into_inner().ok_or(AppError::Internal)?;
    let (mut competition, mut file) = (None, None);
    while let Ok(Some(mut field)) = multipart.next_field().await {
        match field.name() {
            Some("competition") => {
                competition = field
                    .text()
                    .await
                    .ok()
                    .and_then(|t| t.trim().parse::<i64>().ok());
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("roster").to_owned();
                let mut bytes = Vec::new();
                while let Ok(Some(chunk)) = field.chunk().await {
                    if bytes.len() + chunk.len() > 8 * 1024 * 1024 {
                        return Err(AppError::field("file", "import.err_too_large"));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    let competition = competition.ok_or(AppError::NotFound)?;
    let (name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or(AppError::field("file", "import.err_no_file"))?;
    let cells =
        crate::admin::roster::read_cells(&name, &bytes).map_err(|k| AppError::field("file", k))?;
    let report = enrol_cells(competition, &name, cells).await?;
    // Kept so the page after the redirect (and a later look) shows every row's error.
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let id: i64 = sqlx::query_scalar(
        "insert into roster_import (created_by, created_at, file_name, imported, row_count, report) \
         values ($1, $2, $3, $4, $5, $6) returning import_id",
    )
    .bind(admin.id)
    .bind(db::now())
    .bind(format!("competition:{competition}:{name}"))
    .bind(report.enrolled as i64)
    .bind(report.rows as i64)
    .bind(serde_json::to_string(&report).unwrap_or_default())
    .fetch_one(&mut *conn)
    .await?;
    leptos_axum::redirect(&format!(
        "/admin/competitions/{competition}?report={id}#roster"
    ));
    Ok(id)
}

/// Opens a theory stage's waiting room: draws every candidate's paper now. A practical stage needs nothing drawn.
#[server(prefix = "/api", endpoint = "open_waiting_room")]
#[tracing::instrument(skip_all)]
pub async fn open_waiting_room(stage: i64) -> Result<usize, AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (c, s) = guard::stage(&mut tx, &admin, stage).await?;
    if !matches!(c.status, Status::Open | Status::Running) {
        return Err(AppError::field("stage", "competition.err_not_open"));
    }
    if !s.kind.sat() || !matches!(s.status, StageStatus::Draft | StageStatus::Waiting) {
        return Err(AppError::field("stage", "competition.err_stage_state"));
    }
    let n = if s.kind == StageKind::Theory {
        let bank = ssr::bank(&mut tx).await?;
        ssr::draw_papers(&mut tx, &s, &bank).await?
    } else {
        0
    };
    sqlx::query("update stage set status = 'waiting' where stage_id = $1")
        .bind(stage)
        .execute(&mut *tx)
        .await?;
    audit::by(
        &mut tx,
        &admin,
        "competition_waiting_room",
        &format!("stage:{stage}"),
        &n.to_string(),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

#[server(prefix = "/api", endpoint = "start_stage")]
#[tracing::instrument(skip_all)]
pub async fn start_stage(stage: i64) -> Result<(), AppError> {
    use crate::server::{audit, auth, db, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (c, s) = guard::stage(&mut tx, &admin, stage).await?;
    if s.status != StageStatus::Waiting {
        return Err(AppError::field("stage", "competition.err_stage_state"));
    }
    ssr::start(&mut tx, &s, db::now()).await?;
    if c.status == Status::Open {
        ssr::set_status(&mut tx, c.id, Status::Running).await?;
    }
    audit::by(
        &mut tx,
        &admin,
        "competition_start",
        &format!("stage:{stage}"),
        &s.title,
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends a running stage now (收卷): every paper still open is handed in with its saved answers.
#[server(prefix = "/api", endpoint = "close_stage")]
#[tracing::instrument(skip_all)]
pub async fn close_stage(stage: i64) -> Result<usize, AppError> {
    use crate::server::{audit, auth, db, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (c, s) = guard::stage(&mut tx, &admin, stage).await?;
    if s.status != StageStatus::Running {
        return Err(AppError::field("stage", "competition.err_not_running"));
    }
    let now = db::now();
    // Deadlines move to now, so the sweep hands everything in as the clock would have.
    sqlx::query(
        "update exam_sitting set deadline_at = $1 where stage_id = $2 and submitted_at is null",
    )
    .bind(now - ssr::GRACE_S - 1)
    .bind(stage)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update scenario_attempt set deadline_at = $1 where stage_id = $2 and status = 'open'",
    )
    .bind(now - ssr::GRACE_S - 1)
    .bind(stage)
    .execute(&mut *tx)
    .await?;
    let mut n = 0;
    loop {
        let swept = ssr::sweep(&mut tx, now).await?;
        n += swept;
        if swept == 0 {
            break;
        }
    }
    sqlx::query("update stage set status = 'closed', closed_at = $1 where stage_id = $2")
        .bind(now)
        .bind(stage)
        .execute(&mut *tx)
        .await?;
    audit::by(
        &mut tx,
        &admin,
        "competition_close",
        &format!("stage:{stage}"),
        &n.to_string(),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

#[server(prefix = "/api", endpoint = "grant_extra_time")]
#[tracing::instrument(skip_all)]
pub async fn grant_extra_time(
    stage: i64,
    candidate: String,
    minutes: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let minutes: i64 = minutes
        .trim()
        .parse()
        .ok()
        .filter(|m| (1..=120).contains(m))
        .ok_or(AppError::field("minutes", "competition.err_extra"))?;
    let reason = reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field("reason", "competition.err_reason"));
    }
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (c, s) = guard::stage(&mut tx, &admin, stage).await?;
    let sitting: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "select s.sitting_id, s.attempt_id, s.submitted_at from exam_sitting s join entrant e on e.entrant_id = s.entrant_id \
         where s.stage_id = $1 and e.candidate_no = $2",
    )
    .bind(s.id)
    .bind(candidate.trim())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((sitting_id, attempt, submitted)) = sitting else {
        return Err(AppError::field("candidate", "competition.err_candidate"));
    };
    if submitted.is_some() {
        return Err(AppError::field("candidate", "competition.err_submitted"));
    }
    ssr::grant_extra(&mut tx, sitting_id, minutes * 60).await?;
    if let Some(a) = attempt {
        sqlx::query("update scenario_attempt set deadline_at = deadline_at + $1 where attempt_id = $2 and status = 'open'")
            .bind(minutes * 60)
            .bind(a)
            .execute(&mut *tx)
            .await?;
    }
    ssr::log_event(
        &mut tx,
        sitting_id,
        "extra_time",
        &format!("+{minutes} min: {reason}"),
    )
    .await?;
    audit::by(
        &mut tx,
        &admin,
        "competition_extra_time",
        &format!("stage:{stage}"),
        &format!("{} +{minutes} min: {reason}", candidate.trim()),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "release_results")]
#[tracing::instrument(skip_all)]
pub async fn release_results(stage: i64, release: bool) -> Result<(), AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (c, s) = guard::stage(&mut tx, &admin, stage).await?;
    if release && s.status != StageStatus::Closed {
        return Err(AppError::field("stage", "competition.err_not_closed"));
    }
    sqlx::query("update stage set released = $1 where stage_id = $2")
        .bind(i64::from(release))
        .bind(stage)
        .execute(&mut *tx)
        .await?;
    audit::by(
        &mut tx,
        &admin,
        if release {
            "competition_release"
        } else {
            "competition_withhold"
        },
        &format!("stage:{stage}"),
        &s.title,
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "stage_stats")]
pub async fn stage_stats(stage: i64) -> Result<StageStatsView, AppError> {
    use crate::server::{auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let (c, s) = guard::stage(&mut conn, &admin, stage).await?;
    // Statistics describe a finished sitting; while it runs they would hint at answers to nobody's benefit.
    let closed = s.status == StageStatus::Closed;
    let questions = if closed && s.kind == StageKind::Theory {
        ssr::statistics(&mut conn, &s).await?
    } else {
        Vec::new()
    };
    let (submitted, mean, max): (i64, Option<f64>, Option<i64>) = sqlx::query_as(
        "select cast(count(*) as bigint), cast(avg(score) as double precision), cast(max(max_score) as bigint) \
         from exam_sitting where stage_id = $1 and submitted_at is not null",
    )
    .bind(stage)
    .fetch_one(&mut *conn)
    .await?;
    Ok(StageStatsView {
        competition_id: c.id,
        competition: c.name,
        stage: s.title,
        closed,
        submitted,
        mean: mean.unwrap_or(0.0),
        max_score: max.unwrap_or(0),
        questions,
    })
}

#[server(prefix = "/api", endpoint = "void_question")]
#[tracing::instrument(skip_all)]
pub async fn void_question(
    stage: i64,
    question: String,
    reason: String,
) -> Result<usize, AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let reason = reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field("reason", "competition.err_reason"));
    }
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (c, s) = guard::stage(&mut tx, &admin, stage).await?;
    if s.status != StageStatus::Closed {
        return Err(AppError::field("stage", "competition.err_not_closed"));
    }
    let on_paper: Option<i64> = sqlx::query_scalar(
        "select sitting_id from exam_sitting where stage_id = $1 and paper like $2 limit 1",
    )
    .bind(stage)
    .bind(format!(
        "%\"q\":\"{}\"%",
        question.replace(['%', '_', '"'], "")
    ))
    .fetch_optional(&mut *tx)
    .await?;
    if on_paper.is_none() {
        return Err(AppError::NotFound);
    }
    let n = ssr::void_question(&mut tx, stage, &question, &reason, admin.id).await?;
    audit::by(
        &mut tx,
        &admin,
        "competition_void",
        &format!("stage:{stage}"),
        &format!("{question}: {reason} ({n})"),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

// ---------------------------------------------------------------------------------------------------------------
// Server functions: candidates

#[server(prefix = "/api", endpoint = "my_competitions")]
pub async fn my_competitions() -> Result<Vec<MyCompetition>, AppError> {
    use crate::server::{auth, state::app_state};
    use sqlx::Row;
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let rows = sqlx::query(
        "select c.competition_id, c.name, c.level, c.status, e.entrant_id, e.candidate_no, t.name as team \
         from entrant e join competition c on c.competition_id = e.competition_id left join team t on t.team_id = e.team_id \
         where e.user_id = $1 and c.status <> 'draft' order by c.competition_id desc",
    )
    .bind(user.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let cid: i64 = r.try_get("competition_id")?;
        let entrant: i64 = r.try_get("entrant_id")?;
        let mut stages = Vec::new();
        for s in ssr::stages(&mut conn, cid).await? {
            let sit: Option<(Option<i64>, Option<i64>, i64)> = sqlx::query_as(
                "select submitted_at, score, max_score from exam_sitting where stage_id = $1 and entrant_id = $2",
            )
            .bind(s.id)
            .bind(entrant)
            .fetch_optional(&mut *conn)
            .await?;
            let submitted = sit.as_ref().is_some_and(|x| x.0.is_some());
            let code = if s.kind.timed() {
                None
            } else {
                sqlx::query_scalar(
                    "select code from submission where stage_id = $1 and entrant_id = $2",
                )
                .bind(s.id)
                .bind(entrant)
                .fetch_optional(&mut *conn)
                .await?
            };
            stages.push(MyStage {
                id: s.id,
                kind: s.kind,
                title: s.title,
                weight: s.weight,
                starts_at: s.started_at.or(s.starts_at),
                duration_s: s.duration_s,
                status: s.status,
                submitted,
                score: sit
                    .filter(|_| s.released && submitted)
                    .map(|x| (x.1.unwrap_or(0), x.2)),
                code,
            });
        }
        let level: String = r.try_get("level")?;
        let status: String = r.try_get("status")?;
        out.push(MyCompetition {
            id: cid,
            name: r.try_get("name")?,
            level: Level::parse(&level).unwrap_or(Level::City),
            status: Status::parse(&status).unwrap_or(Status::Open),
            candidate_no: r.try_get("candidate_no")?,
            team: r.try_get("team")?,
            stages,
            standing: standings::ssr::standing(&mut conn, cid, entrant).await?,
        });
    }
    Ok(out)
}

/// Enters a running practical stage: the candidate's timed attempt, created on first entry.
#[server(prefix = "/api", endpoint = "enter_practical")]
#[tracing::instrument(skip_all)]
pub async fn enter_practical(stage: i64) -> Result<i64, AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let s = ssr::stage(&mut tx, stage)
        .await?
        .ok_or(AppError::NotFound)?;
    let entrant = ssr::entrant_of(&mut tx, s.competition_id, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if s.kind != StageKind::Scenario {
        return Err(AppError::NotFound);
    }
    if s.status != StageStatus::Running {
        return Err(AppError::field("stage", "competition.err_not_running"));
    }
    let attempt = practical::enter(&mut tx, &s, entrant, user.id).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/attempts/{attempt}"));
    Ok(attempt)
}

// ---------------------------------------------------------------------------------------------------------------
// Pages

fn level_label(l: Level) -> String {
    t(&format!("competition.level_{}", l.code()))
}
fn status_label(s: Status) -> String {
    t(&format!("competition.status_{}", s.code()))
}
fn kind_label(k: StageKind) -> String {
    t(&format!("competition.kind_{}", k.code()))
}
fn stage_status_label(s: StageStatus) -> String {
    t(&format!("competition.stage_{}", s.code()))
}

#[component]
pub fn CompetitionsAdminPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let create = ServerAction::<CreateCompetition>::new();
    let data = Resource::new(|| (), |_| list_competitions());
    view! { <Protected role=Role::Admin><CompetitionsAdminBody create data/></Protected> }
}

#[component]
fn CompetitionsAdminBody(
    create: ServerAction<CreateCompetition>,
    data: Resource<Result<CompetitionList, AppError>>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("competition.admin_title")/>
        <PageHeader title=t("competition.admin_title") subtitle=t("competition.admin_hint")/>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((list, units)) => view! {
                        <section class="card">
                            <h2>{t("competition.new")}</h2>
                            <ActionFeedback action=create/>
                            <ActionForm action=create attr:class="form form-grid" attr:id="competition-form">
                                <label>{t("competition.name")}<input name="name" required maxlength="80"/></label>
                                <label>{t("competition.level")}<select name="level">
                                    {Level::ALL.into_iter().map(|l| view! { <option value=l.code()>{level_label(l)}</option> }).collect_view()}
                                </select></label>
                                <label>{t("competition.unit")}<select name="unit">
                                    {units.into_iter().map(|(code, name)| view! { <option value=code>{name}</option> }).collect_view()}
                                </select></label>
                                <button type="submit" class="btn btn-primary">{t("competition.create")}</button>
                            </ActionForm>
                        </section>
                        {if list.is_empty() {
                            view! { <Empty title=t("competition.none") hint=t("competition.none_hint")/> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap"><table class="table" id="competitions">
                                    <thead><tr><th>{t("competition.name")}</th><th>{t("competition.level")}</th><th>{t("competition.status")}</th></tr></thead>
                                    <tbody>{list.into_iter().map(|c| view! {
                                        <tr>
                                            <td><a href=format!("/admin/competitions/{}", c.id)>{c.name.clone()}</a><br/><span class="small muted">{c.unit.clone()}</span></td>
                                            <td>{level_label(c.level)}</td>
                                            <td><span class="tag">{status_label(c.status)}</span></td>
                                        </tr>
                                    }).collect_view()}</tbody>
                                </table></div>
                            }.into_any()
                        }}
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The actions of the competition page, made once outside Protected.
#[derive(Clone, Copy)]
struct AdminActions {
    advance: ServerAction<AdvanceCompetition>,
    stage: ServerAction<SaveStage>,
    enrol: ServerAction<EnrolCandidates>,
    open: ServerAction<OpenWaitingRoom>,
    start: ServerAction<StartStage>,
    close: ServerAction<CloseStage>,
    extra: ServerAction<GrantExtraTime>,
    release: ServerAction<ReleaseResults>,
    panel: ServerAction<crate::grading::SetPanel>,
    configure: ServerAction<crate::grading::ConfigureMarking>,
    assign: ServerAction<crate::grading::AssignMarking>,
}

#[component]
pub fn CompetitionAdminPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let report = move || query.with(|q| q.get("report").and_then(|v| v.parse::<i64>().ok()));
    let a = AdminActions {
        advance: ServerAction::new(),
        stage: ServerAction::new(),
        enrol: ServerAction::new(),
        open: ServerAction::new(),
        start: ServerAction::new(),
        close: ServerAction::new(),
        extra: ServerAction::new(),
        release: ServerAction::new(),
        panel: ServerAction::new(),
        configure: ServerAction::new(),
        assign: ServerAction::new(),
    };
    let data = Resource::new(
        move || {
            (
                id(),
                report(),
                a.advance.version().get(),
                a.stage.version().get(),
                a.enrol.version().get(),
                a.open.version().get(),
                a.start.version().get(),
                a.close.version().get(),
                a.extra.version().get(),
                a.release.version().get(),
                (
                    a.panel.version().get(),
                    a.configure.version().get(),
                    a.assign.version().get(),
                ),
            )
        },
        |(id, report, ..)| get_competition_admin(id, report),
    );
    view! { <Protected role=Role::Admin><CompetitionAdminBody a data/></Protected> }
}

#[component]
fn CompetitionAdminBody(
    a: AdminActions,
    data: Resource<Result<CompetitionAdmin, AppError>>,
) -> impl IntoView {
    view! {
        <p><a href="/admin/competitions">{t("competition.back")}</a></p>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => competition_admin_view(a, v).into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn competition_admin_view(a: AdminActions, v: CompetitionAdmin) -> impl IntoView {
    let cid = v.card.id.to_string();
    let cid_stage = cid.clone();
    let cid_roster = cid.clone();
    let next = v.card.status.next();
    let enrolling = v.card.status.enrolling();
    let scenarios = v.scenarios.clone();
    view! {
        <leptos_meta::Title text=v.card.name.clone()/>
        <PageHeader title=v.card.name.clone() subtitle=format!("{} · {} · {}", level_label(v.card.level), v.card.unit, status_label(v.card.status))>
            {next.map(move |n| view! {
                <ActionForm action=a.advance attr:class="inline">
                    <input type="hidden" name="id" value=cid/>
                    <input type="hidden" name="to" value=n.code()/>
                    <button type="submit" class="btn" id="advance">{t_with("competition.advance", &[("status", &status_label(n))])}</button>
                </ActionForm>
            })}
        </PageHeader>
        <ol class="steps-bar">
            {Status::ALL.into_iter().map(|s| view! { <li class:current=s == v.card.status>{status_label(s)}</li> }).collect_view()}
        </ol>
        <ActionFeedback action=a.advance/>
        <h2>{t("competition.stages")}</h2>
        <ActionFeedback action=a.open/>
        <ActionFeedback action=a.start/>
        <ActionFeedback action=a.close/>
        <ActionFeedback action=a.release/>
        <ActionFeedback action=a.panel/>
        <ActionFeedback action=a.configure ok_key="grading.configured"/>
        <ActionFeedback action=a.assign/>
        <p><a class="btn btn-small" href=format!("/admin/competitions/{}/results", v.card.id) id="results-link">{t("results.admin_title")}</a></p>
        {if v.stages.is_empty() {
            view! { <Empty title=t("competition.no_stages") hint=t("competition.no_stages_hint")/> }.into_any()
        } else {
            view! { <div class="grid cards">{v.stages.iter().map(|s| stage_card(a, s, v.now, &v.rubrics, &v.casefiles)).collect_view()}</div> }.into_any()
        }}
        <section class="card">
            <h2>{t("competition.extra_time")}</h2>
            <p class="small muted">{t("competition.extra_hint")}</p>
            <ActionFeedback action=a.extra ok_key="competition.extra_done"/>
            <ActionForm action=a.extra attr:class="form form-grid" attr:id="extra-form">
                <label>{t("competition.stage")}<select name="stage">
                    {v.stages.iter().filter(|s| s.kind.timed()).map(|s| view! { <option value=s.id.to_string()>{s.title.clone()}</option> }).collect_view()}
                </select></label>
                <label>{t("competition.candidate_no")}<input name="candidate" required/></label>
                <label>{t("competition.minutes")}<input name="minutes" inputmode="numeric" required value="5"/></label>
                <label>{t("competition.reason")}<input name="reason" required maxlength="120"/></label>
                <button type="submit" class="btn">{t("competition.grant")}</button>
            </ActionForm>
        </section>
        <section class="card">
            <h2>{t("competition.add_stage")}</h2>
            <ActionFeedback action=a.stage ok_key="competition.stage_saved"/>
            <ActionForm action=a.stage attr:class="form" attr:id="stage-form">
                <input type="hidden" name="competition" value=cid_stage/>
                <div class="form-grid">
                    <label>{t("competition.kind")}<select name="kind">
                        {StageKind::ALL.into_iter().map(|k| view! { <option value=k.code()>{kind_label(k)}</option> }).collect_view()}
                    </select></label>
                    <label>{t("competition.stage_title")}<input name="title" required maxlength="60"/></label>
                    <label>{t("competition.weight")}<input name="weight" inputmode="numeric" required value="40"/></label>
                    <label>{t("competition.starts_at")}<input name="starts_at" type="datetime-local"/></label>
                    <label>{t("competition.duration")}<input name="minutes" inputmode="numeric" required value="60"/></label>
                    <label>{t("competition.scenario")}<select name="scenario">
                        <option value="">{"—"}</option>
                        {scenarios.into_iter().map(|(k, title)| view! { <option value=k>{title}</option> }).collect_view()}
                    </select></label>
                </div>
                <fieldset class="blueprint">
                    <legend>{t("competition.blueprint")}</legend>
                    <p class="small muted">{t("competition.blueprint_hint")}</p>
                    <label>{t("competition.multiple_rule")}<select name="rule">
                        {MultipleRule::ALL.into_iter().map(|r| view! { <option value=r.code()>{t(&format!("competition.rule_{}", r.code()))}</option> }).collect_view()}
                    </select></label>
                    <div class="table-wrap"><table class="table">
                        <thead><tr><th>{t("competition.bp_kind")}</th><th>{t("competition.bp_topic")}</th><th>{t("competition.bp_band")}</th><th>{t("competition.bp_count")}</th><th>{t("competition.bp_points")}</th></tr></thead>
                        <tbody>{(0..BLUEPRINT_LINES).map(|i| {
                            let (kind, count, pts) = match i { 0 => ("single", "20", "1"), 1 => ("multiple", "10", "2"), 2 => ("judge", "10", "1"), _ => ("single", "", "1") };
                            view! {
                                <tr>
                                    <td><select name=format!("bp[kind{i}]") aria-label=t("competition.bp_kind")>
                                        {rules::PAPER_KINDS.into_iter().map(|k| view! { <option value=k selected=k == kind>{t(&format!("competition.qkind_{k}"))}</option> }).collect_view()}
                                    </select></td>
                                    <td><select name=format!("bp[topic{i}]") aria-label=t("competition.bp_topic")>
                                        <option value="">{t("competition.any")}</option>
                                        {rules::TOPICS.into_iter().map(|k| view! { <option value=k>{t(&format!("competition.topic_{k}"))}</option> }).collect_view()}
                                    </select></td>
                                    <td><select name=format!("bp[band{i}]") aria-label=t("competition.bp_band")>
                                        <option value="">{t("competition.any")}</option>
                                        {Band::ALL.into_iter().map(|b| view! { <option value=b.code()>{t(&format!("competition.band_{}", b.code()))}</option> }).collect_view()}
                                    </select></td>
                                    <td><input name=format!("bp[count{i}]") inputmode="numeric" value=count size="4" aria-label=t("competition.bp_count")/></td>
                                    <td><input name=format!("bp[points{i}]") inputmode="numeric" value=pts size="4" aria-label=t("competition.bp_points")/></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                </fieldset>
                <button type="submit" class="btn btn-primary">{t("competition.save_stage")}</button>
            </ActionForm>
        </section>
        <section class="card" id="roster">
            <h2>{t_with("competition.roster", &[("n", &v.entrants.len().to_string())])}</h2>
            {v.report.clone().map(report_view)}
            {enrolling.then(move || { let (cid_a, cid_b) = (cid_roster.clone(), cid_roster); view! {
                <div class="grid two">
                    <div>
                        <h3>{t("competition.enrol_by_name")}</h3>
                        <ActionFeedback action=a.enrol/>
                        {move || a.enrol.value().get().and_then(|r| r.ok()).map(report_view)}
                        <ActionForm action=a.enrol attr:class="form" attr:id="enrol-form">
                            <input type="hidden" name="competition" value=cid_a/>
                            <label for="enrol-lines">{t("competition.enrol_lines")}</label>
                            <textarea id="enrol-lines" name="lines" rows="4" placeholder="zhangsan,杭州市代表队"></textarea>
                            <button type="submit" class="btn">{t("competition.enrol")}</button>
                        </ActionForm>
                    </div>
                    <div>
                        <h3>{t("competition.import")}</h3>
                        <form method="post" action="/api/import_entrants" enctype="multipart/form-data" class="form" id="import-form">
                            <input type="hidden" name="competition" value=cid_b/>
                            <label for="roster-file">{t("competition.roster_file")}</label>
                            <input id="roster-file" name="file" type="file" required accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>
                            <p class="hint">{t("competition.roster_hint")}</p>
                            <button type="submit" class="btn">{t("competition.import_submit")}</button>
                        </form>
                    </div>
                </div>
            }})}
            {(!v.teams.is_empty()).then(|| view! {
                <h3>{t("competition.teams")}</h3>
                <ul class="plain">{v.teams.iter().map(|(name, unit, n)| view! { <li>{format!("{name} · {unit} · {n}")}</li> }).collect_view()}</ul>
            })}
            <div class="table-wrap"><table class="table" id="entrants">
                <thead><tr><th>{t("competition.candidate_no")}</th><th>{t("competition.person")}</th><th>{t("competition.entrant_unit")}</th><th>{t("competition.team")}</th></tr></thead>
                <tbody>{v.entrants.iter().map(|e| view! {
                    <tr><td class="mono">{e.candidate_no.clone()}</td><td>{e.name.clone()}<br/><span class="small muted">{e.username.clone()}</span></td><td>{e.unit.clone()}</td><td>{e.team.clone().unwrap_or_default()}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
    }
}

fn report_view(r: RosterReport) -> impl IntoView {
    view! {
        <div class="alert" class:alert-ok=r.errors.is_empty() class:alert-error=!r.errors.is_empty() role="status" id="roster-report">
            <p>{t_with("competition.report", &[("n", &r.enrolled.to_string()), ("rows", &r.rows.to_string())])}</p>
            {(!r.errors.is_empty()).then(|| view! {
                <ul>{r.errors.iter().map(|e| view! {
                    <li>{t_with("competition.report_row", &[("row", &e.row.to_string())])}{" "}{t(&e.key)}{(!e.value.is_empty()).then(|| format!(" ({})", e.value))}</li>
                }).collect_view()}</ul>
            })}
        </div>
    }
}

fn stage_card(
    a: AdminActions,
    s: &StageAdmin,
    now: i64,
    rubrics: &[(String, String, String)],
    casefiles: &[(String, String)],
) -> impl IntoView {
    let s = s.clone();
    let marking = s
        .marking
        .clone()
        .map(|m| marking_admin(a, s.id, s.kind, m, rubrics, casefiles));
    let id = s.id.to_string();
    let id2 = id.clone();
    let id3 = id.clone();
    let id4 = id.clone();
    let running_for = s.started_at.map(|st| now - st);
    view! {
        <section class="card stage" id=format!("stage-{}", s.id)>
            <p><span class="tag">{kind_label(s.kind)}</span><span class="tag">{stage_status_label(s.status)}</span>
               {s.released.then(|| view! { <span class="tag tag-ok">{t("competition.released")}</span> })}</p>
            <h3>{s.title.clone()}</h3>
            <p class="small">
                {t_with("competition.stage_facts", &[("weight", &s.weight.to_string()), ("min", &(s.duration_s / 60).to_string())])}
                {s.starts_at.map(|at| format!(" · {}", format_time(at)))}
                {running_for.map(|r| format!(" · {}", t_with("competition.running_for", &[("min", &(r / 60).max(0).to_string())])))}
            </p>
            {s.blueprint.as_ref().map(|b| view! {
                <p class="small muted">{t_with("competition.blueprint_facts", &[("n", &b.question_count().to_string()), ("points", &b.total_points().to_string())])}
                    {" · "}{t(&format!("competition.rule_{}", b.multiple_rule.code()))}</p>
            })}
            {s.scenario_key.clone().map(|k| view! { <p class="small muted">{k}</p> })}
            {s.shortfalls.iter().map(|(row, have, want)| view! {
                <p class="alert alert-error small">{t_with("competition.shortfall", &[("row", &row.to_string()), ("have", &have.to_string()), ("want", &want.to_string())])}</p>
            }).collect_view()}
            {s.kind.timed().then(|| view! {
                <p class="small" id=format!("stage-{}-counts", s.id)>{t_with("competition.counts", &[("n", &s.sittings.to_string()), ("present", &s.present.to_string()), ("submitted", &s.submitted.to_string())])}</p>
            })}
            <div class="actions">
                {(s.kind.sat() && matches!(s.status, StageStatus::Draft | StageStatus::Waiting)).then(|| { let id = id.clone(); view! {
                    <ActionForm action=a.open attr:class="inline">
                        <input type="hidden" name="stage" value=id/>
                        <button type="submit" class="btn" data-test="open">{t(if s.status == StageStatus::Draft { "competition.open_room" } else { "competition.redraw" })}</button>
                    </ActionForm>
                }})}
                {(s.status == StageStatus::Waiting).then(|| { let id = id2; view! {
                    <ActionForm action=a.start attr:class="inline">
                        <input type="hidden" name="stage" value=id/>
                        <button type="submit" class="btn btn-primary" data-test="start">{t("competition.start")}</button>
                    </ActionForm>
                }})}
                {(s.status == StageStatus::Running).then(|| { let id = id4; view! {
                    <ActionForm action=a.close attr:class="inline">
                        <input type="hidden" name="stage" value=id/>
                        <button type="submit" class="btn" data-test="close">{t("competition.close")}</button>
                    </ActionForm>
                }})}
                {(s.status == StageStatus::Closed && s.kind.timed()).then(|| { let stats_href = format!("/admin/stages/{id3}/stats"); let id = id3; let release = !s.released; view! {
                    <ActionForm action=a.release attr:class="inline">
                        <input type="hidden" name="stage" value=id/>
                        <input type="hidden" name="release" value=release.to_string()/>
                        <button type="submit" class="btn" data-test="release">{t(if release { "competition.release" } else { "competition.withhold" })}</button>
                    </ActionForm>
                    <a class="btn" href=stats_href>{t("competition.stats")}</a>
                }})}
            </div>
            {marking}
        </section>
    }
}

/// Rubric, panel and assignment of an examiner-marked stage.
fn marking_admin(
    a: AdminActions,
    stage: i64,
    kind: StageKind,
    m: crate::grading::MarkingProgress,
    rubrics: &[(String, String, String)],
    casefiles: &[(String, String)],
) -> impl IntoView {
    let want = if kind == StageKind::Onsite {
        "onsite"
    } else {
        "casefile"
    };
    let rubrics: Vec<(String, String)> = rubrics
        .iter()
        .filter(|r| r.2 == want)
        .map(|r| (r.0.clone(), r.1.clone()))
        .collect();
    let casefiles = casefiles.to_vec();
    let id = stage.to_string();
    let (id1, id2, id3) = (id.clone(), id.clone(), id.clone());
    let examiners: String = m
        .panel
        .iter()
        .filter(|p| !p.chief)
        .map(|p| p.username.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let chief = m
        .panel
        .iter()
        .find(|p| p.chief)
        .map(|p| p.username.clone())
        .unwrap_or_default();
    let current_casefile = m.casefile.clone().unwrap_or_default();
    let agg = m.aggregation.clone();
    view! {
        <div class="marking-admin">
            <p class="small">
                {m.rubric.clone().unwrap_or_else(|| t("grading.no_rubric"))}
                {format!(" · k={} · {} · {}", m.k, t(&format!("grading.agg_{}", m.aggregation)), t_with("grading.divergence_is", &[("d", &points(m.divergence))]))}
            </p>
            <p class="small" id=format!("marking-{stage}")>{t_with("grading.progress_admin", &[
                ("subs", &m.submissions.to_string()), ("locked", &m.locked.to_string()), ("assignments", &m.assignments.to_string()),
                ("divergent", &m.divergent.to_string()), ("final", &m.final_count.to_string())])}</p>
            <p class="small">{t("grading.panel")}{": "}{m.panel.iter().map(|p| format!("{}{}（{}）", p.name, if p.chief { "★" } else { "" }, p.unit)).collect::<Vec<_>>().join("、")}</p>
            <details class="marking-config">
                <summary>{t("grading.configure")}</summary>
                <ActionForm action=a.configure attr:class="form" attr:id=format!("configure-{stage}")>
                    <input type="hidden" name="stage" value=id1/>
                    <label>{t("grading.rubric")}<select name="rubric">
                        {rubrics.into_iter().map(|(k, title)| view! { <option value=k>{title}</option> }).collect_view()}
                        <option value="custom">{t("grading.custom_rubric")}</option>
                    </select></label>
                    {(kind == StageKind::Casefile).then(|| view! {
                        <label>{t("grading.casefile")}<select name="casefile">
                            {casefiles.into_iter().map(|(k, title)| { let sel = k == current_casefile; view! { <option value=k selected=sel>{title}</option> } }).collect_view()}
                        </select></label>
                    })}
                    <div class="form-grid">
                        <label>{t("grading.k")}<input name="k" inputmode="numeric" value=m.k.to_string()/></label>
                        <label>{t("grading.aggregation")}<select name="aggregation">
                            {crate::grading::rules::Aggregation::ALL.into_iter().map(|g| { let sel = g.code() == agg; view! { <option value=g.code() selected=sel>{t(&format!("grading.agg_{}", g.code()))}</option> } }).collect_view()}
                        </select></label>
                        <label>{t("grading.divergence")}<input name="divergence" inputmode="decimal" value=points(m.divergence)/></label>
                    </div>
                    <fieldset class="blueprint"><legend>{t("grading.custom_rubric")}</legend>
                        <p class="small muted">{t("grading.custom_hint")}</p>
                        {(0..8).map(|i| view! {
                            <div class="form-grid custom-row">
                                <input name=format!("crit[title{i}]") placeholder=t("grading.criterion") aria-label=t("grading.criterion")/>
                                <input name=format!("crit[max{i}]") inputmode="numeric" placeholder=t("grading.max_points") aria-label=t("grading.max_points")/>
                                <select name=format!("crit[mode{i}]") aria-label=t("grading.mode")>
                                    <option value="points">{t("grading.mode_points")}</option>
                                    <option value="levels">{t("grading.mode_levels")}</option>
                                </select>
                            </div>
                        }).collect_view()}
                    </fieldset>
                    <button type="submit" class="btn">{t("grading.save_config")}</button>
                </ActionForm>
            </details>
            <details class="marking-panel">
                <summary>{t("grading.panel")}</summary>
                <ActionForm action=a.panel attr:class="form" attr:id=format!("panel-{stage}")>
                    <input type="hidden" name="stage" value=id2/>
                    <label>{t("grading.examiners_lines")}<textarea name="examiners" rows="4">{examiners}</textarea></label>
                    <label>{t("grading.chief")}<input name="chief" value=chief required/></label>
                    <button type="submit" class="btn">{t("grading.save_panel")}</button>
                </ActionForm>
            </details>
            <ActionForm action=a.assign attr:class="inline">
                <input type="hidden" name="stage" value=id3/>
                <button type="submit" class="btn btn-primary" data-test="assign">{t("grading.assign")}</button>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn StageStatsPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let void = ServerAction::<VoidQuestion>::new();
    let data = Resource::new(
        move || (id(), void.version().get()),
        |(id, _)| stage_stats(id),
    );
    view! { <Protected role=Role::Admin><StageStatsBody void data stage=Signal::derive(id)/></Protected> }
}

#[component]
fn StageStatsBody(
    void: ServerAction<VoidQuestion>,
    data: Resource<Result<StageStatsView, AppError>>,
    stage: Signal<i64>,
) -> impl IntoView {
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! {
                        <p><a href=format!("/admin/competitions/{}", v.competition_id)>{v.competition.clone()}</a></p>
                        <leptos_meta::Title text=t("competition.stats")/>
                        <PageHeader title=format!("{} · {}", v.stage, t("competition.stats")) subtitle=t_with("competition.stats_summary", &[("n", &v.submitted.to_string()), ("mean", &points(v.mean.round() as i64)), ("max", &points(v.max_score))])/>
                        <ActionFeedback action=void ok_key="competition.voided_done"/>
                        {if !v.closed {
                            view! { <Empty title=t("competition.stats_not_closed") hint=t("competition.stats_not_closed_hint")/> }.into_any()
                        } else {
                            view! {
                                <p class="small muted">{t("competition.stats_hint")}</p>
                                <div class="table-wrap"><table class="table" id="item-stats">
                                    <thead><tr><th>{t("competition.question")}</th><th>{t("competition.facility")}</th><th>{t("competition.discrimination")}</th><th>{t("competition.options")}</th><th></th></tr></thead>
                                    <tbody>{v.questions.into_iter().map(|q| {
                                        let low = q.stats.discrimination.is_some_and(|d| d < 0.2);
                                        view! {
                                            <tr class:voided=q.voided>
                                                <td><span class="mono small">{q.key.clone()}</span><br/>{q.stem.clone()}<br/><span class="small muted">{t("competition.key")}{": "}{q.answer.clone()}</span></td>
                                                <td>{format!("{:.2}", q.stats.facility)}</td>
                                                <td class:warn=low>{q.stats.discrimination.map(|d| format!("{d:.2}")).unwrap_or_else(|| "—".into())}</td>
                                                <td class="small">{q.stats.option_counts.iter().map(|(l, n)| format!("{l}:{n}")).collect::<Vec<_>>().join(" ")}</td>
                                                <td>{if q.voided {
                                                    view! { <span class="tag">{t("competition.voided")}</span> }.into_any()
                                                } else {
                                                    view! {
                                                        <ActionForm action=void attr:class="form-inline">
                                                            <input type="hidden" name="stage" value=stage.get_untracked().to_string()/>
                                                            <input type="hidden" name="question" value=q.key.clone()/>
                                                            <input name="reason" required maxlength="120" placeholder=t("competition.reason") aria-label=t("competition.reason")/>
                                                            <button type="submit" class="btn btn-small">{t("competition.void")}</button>
                                                        </ActionForm>
                                                    }.into_any()
                                                }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}</tbody>
                                </table></div>
                            }.into_any()
                        }}
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn MyCompetitionsPage() -> impl IntoView {
    let enter = ServerAction::<EnterPractical>::new();
    let appeal = ServerAction::<standings::FileAppeal>::new();
    let data = Resource::new(move || appeal.version().get(), |_| my_competitions());
    view! { <Protected><MyCompetitionsBody enter appeal data/></Protected> }
}

#[component]
fn MyCompetitionsBody(
    enter: ServerAction<EnterPractical>,
    appeal: ServerAction<standings::FileAppeal>,
    data: Resource<Result<Vec<MyCompetition>, AppError>>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("competition.mine_title")/>
        <PageHeader title=t("competition.mine_title") subtitle=t("competition.mine_hint")/>
        <ActionFeedback action=enter/>
        <ActionFeedback action=appeal ok_key="results.appeal_filed"/>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(list) if list.is_empty() => view! { <Empty title=t("competition.mine_none") hint=t("competition.mine_none_hint")/> }.into_any(),
                    Ok(list) => view! {
                        {list.into_iter().map(|c| {
                            let appeal_stages: Vec<(i64, String)> = c.stages.iter().map(|s| (s.id, s.title.clone())).collect();
                            let standing = c.standing.clone().map(|s| standings::standing_view(c.id, s, appeal, appeal_stages));
                            view! {
                            <section class="card competition">
                                <p><span class="tag">{level_label(c.level)}</span><span class="tag">{status_label(c.status)}</span></p>
                                <h2>{c.name.clone()}</h2>
                                <p>{t("competition.candidate_no")}{": "}<strong class="mono">{c.candidate_no.clone()}</strong>
                                    {c.team.clone().map(|tm| format!(" · {}: {tm}", t("competition.team")))}</p>
                                {standing}
                                <ul class="plain stages">{c.stages.into_iter().map(|s| {
                                    let sid = s.id.to_string();
                                    view! {
                                        <li class="stage-row">
                                            <div>
                                                <strong>{s.title.clone()}</strong>{" "}<span class="tag">{kind_label(s.kind)}</span>
                                                {s.code.clone().map(|c| view! { <span class="tag tag-warn">{t("grading.candidate_code")}{" "}<span class="mono">{c}</span></span> })}
                                                <br/><span class="small muted">{t_with("competition.stage_facts", &[("weight", &s.weight.to_string()), ("min", &(s.duration_s / 60).to_string())])}
                                                {s.starts_at.map(|at| format!(" · {}", format_time(at)))}</span>
                                            </div>
                                            <div>{
                                                if let Some((score, max)) = s.score {
                                                    view! { <span class="score">{t_with("competition.your_score", &[("score", &points(score)), ("max", &points(max))])}</span> }.into_any()
                                                } else if s.submitted {
                                                    view! { <span class="tag tag-ok">{t("competition.submitted_pending")}</span> }.into_any()
                                                } else if s.kind == StageKind::Theory && matches!(s.status, StageStatus::Waiting | StageStatus::Running) {
                                                    view! { <a class="btn btn-primary" rel="external" href=format!("/exam/{sid}")>{t("competition.enter_room")}</a> }.into_any()
                                                } else if s.kind == StageKind::Casefile && s.status == StageStatus::Running {
                                                    view! { <a class="btn btn-primary" href=format!("/casefile/{sid}")>{t("competition.enter_casefile")}</a> }.into_any()
                                                } else if s.kind == StageKind::Scenario && s.status == StageStatus::Running {
                                                    view! {
                                                        <ActionForm action=enter attr:class="inline">
                                                            <input type="hidden" name="stage" value=sid/>
                                                            <button type="submit" class="btn btn-primary">{t("competition.enter_practical")}</button>
                                                        </ActionForm>
                                                    }.into_any()
                                                } else {
                                                    view! { <span class="muted small">{stage_status_label(s.status)}</span> }.into_any()
                                                }
                                            }</div>
                                        </li>
                                    }
                                }).collect_view()}</ul>
                            </section>
                        }}).collect_view()}
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
