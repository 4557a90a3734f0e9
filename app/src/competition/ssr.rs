//! Competitions in the database: competitions, stages, rosters, papers, sittings, grading and the sweeper that
//! submits what the clock has closed. Server functions and the exam routes call these with a connection or a
//! transaction they own.

use super::rules::{self, Blueprint, MultipleRule, PaperItem};
use super::*;
use crate::content::model::Question;
use crate::error::AppError;
use crate::server::content_store;
use rand::Rng;
use rand::seq::SliceRandom;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, LazyLock, RwLock};

/// Seconds after a deadline in which a save already on its way is still taken. The clock the candidate sees
/// ends at the deadline; this only covers the network.
pub const GRACE_S: i64 = 3;

// ---------------------------------------------------------------------------------------------------------------
// Competitions and stages

pub async fn create_competition(
    conn: &mut AnyConnection,
    name: &str,
    level: Level,
    unit_id: i64,
    created_by: i64,
) -> Result<i64, sqlx::Error> {
    let now = crate::server::db::now();
    sqlx::query_scalar(
        "insert into competition (name, level, unit_id, status, created_by, created_at, updated_at) \
         values ($1, $2, $3, 'draft', $4, $5, $5) returning competition_id",
    )
    .bind(name)
    .bind(level.code())
    .bind(unit_id)
    .bind(created_by)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// A competition's own row with its unit.
#[derive(Clone, Debug)]
pub struct CompetitionRow {
    pub id: i64,
    pub name: String,
    pub level: Level,
    pub status: Status,
    pub unit_id: i64,
    pub unit_path: String,
    pub unit_name: String,
    pub unit_code: String,
}

fn competition_from(row: &sqlx::any::AnyRow) -> Result<CompetitionRow, sqlx::Error> {
    let level: String = row.try_get("level")?;
    let status: String = row.try_get("status")?;
    Ok(CompetitionRow {
        id: row.try_get("competition_id")?,
        name: row.try_get("name")?,
        level: Level::parse(&level).unwrap_or(Level::City),
        status: Status::parse(&status).unwrap_or(Status::Draft),
        unit_id: row.try_get("unit_id")?,
        unit_path: row.try_get("path")?,
        unit_name: row.try_get("unit_name")?,
        unit_code: row.try_get("code")?,
    })
}

const COMPETITION: &str = "select c.competition_id, c.name, c.level, c.status, c.unit_id, u.path, \
     u.name as unit_name, u.code from competition c join unit u on u.unit_id = c.unit_id";

pub async fn competition(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<CompetitionRow>, sqlx::Error> {
    let row = sqlx::query(&format!("{COMPETITION} where c.competition_id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(competition_from).transpose()
}

/// Competitions run by units inside an admin's scope, newest first.
pub async fn competitions_in(
    conn: &mut AnyConnection,
    scope: &str,
) -> Result<Vec<CompetitionRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{COMPETITION} where u.path like $1 || '%' order by c.competition_id desc"
    ))
    .bind(scope)
    .fetch_all(conn)
    .await?;
    rows.iter().map(competition_from).collect()
}

pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: Status,
) -> Result<(), sqlx::Error> {
    sqlx::query("update competition set status = $1, updated_at = $2 where competition_id = $3")
        .bind(status.code())
        .bind(crate::server::db::now())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A stage's row.
#[derive(Clone, Debug)]
pub struct StageRow {
    pub id: i64,
    pub competition_id: i64,
    pub position: i64,
    pub kind: StageKind,
    pub title: String,
    pub weight: i64,
    pub starts_at: Option<i64>,
    pub duration_s: i64,
    pub blueprint: Option<Blueprint>,
    pub scenario_key: Option<String>,
    pub status: StageStatus,
    pub started_at: Option<i64>,
    pub released: bool,
}

const STAGE: &str = "select stage_id, competition_id, position, kind, title, weight, starts_at, duration_s, \
     blueprint, scenario_key, status, started_at, released from stage";

fn stage_from(row: &sqlx::any::AnyRow) -> Result<StageRow, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let blueprint: String = row.try_get("blueprint")?;
    Ok(StageRow {
        id: row.try_get("stage_id")?,
        competition_id: row.try_get("competition_id")?,
        position: row.try_get("position")?,
        kind: StageKind::parse(&kind).unwrap_or(StageKind::Theory),
        title: row.try_get("title")?,
        weight: row.try_get("weight")?,
        starts_at: row.try_get("starts_at")?,
        duration_s: row.try_get("duration_s")?,
        blueprint: serde_json::from_str(&blueprint).ok(),
        scenario_key: row.try_get("scenario_key")?,
        status: StageStatus::parse(&status).unwrap_or(StageStatus::Draft),
        started_at: row.try_get("started_at")?,
        released: row.try_get::<i64, _>("released")? != 0,
    })
}

pub async fn stages(conn: &mut AnyConnection, cid: i64) -> Result<Vec<StageRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{STAGE} where competition_id = $1 order by position, stage_id"
    ))
    .bind(cid)
    .fetch_all(conn)
    .await?;
    rows.iter().map(stage_from).collect()
}

pub async fn stage(conn: &mut AnyConnection, id: i64) -> Result<Option<StageRow>, sqlx::Error> {
    let row = sqlx::query(&format!("{STAGE} where stage_id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(stage_from).transpose()
}

pub struct NewStage<'a> {
    pub kind: StageKind,
    pub title: &'a str,
    pub weight: i64,
    pub starts_at: Option<i64>,
    pub duration_s: i64,
    pub blueprint: Option<&'a Blueprint>,
    pub scenario_key: Option<&'a str>,
}

pub async fn add_stage(
    conn: &mut AnyConnection,
    cid: i64,
    s: &NewStage<'_>,
) -> Result<i64, sqlx::Error> {
    let position: i64 = sqlx::query_scalar(
        "select cast(coalesce(max(position), 0) + 1 as bigint) from stage where competition_id = $1",
    )
    .bind(cid)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query_scalar(
        "insert into stage (competition_id, position, kind, title, weight, starts_at, duration_s, blueprint, \
         scenario_key, status, released) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', 0) returning stage_id",
    )
    .bind(cid)
    .bind(position)
    .bind(s.kind.code())
    .bind(s.title)
    .bind(s.weight)
    .bind(s.starts_at)
    .bind(s.duration_s)
    .bind(
        s.blueprint
            .map(|b| serde_json::to_string(b).unwrap_or_default())
            .unwrap_or_default(),
    )
    .bind(s.scenario_key)
    .fetch_one(conn)
    .await
}

pub async fn update_stage(
    conn: &mut AnyConnection,
    id: i64,
    s: &NewStage<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update stage set title = $1, weight = $2, starts_at = $3, duration_s = $4, blueprint = $5, \
         scenario_key = $6 where stage_id = $7",
    )
    .bind(s.title)
    .bind(s.weight)
    .bind(s.starts_at)
    .bind(s.duration_s)
    .bind(
        s.blueprint
            .map(|b| serde_json::to_string(b).unwrap_or_default())
            .unwrap_or_default(),
    )
    .bind(s.scenario_key)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// The question bank, as a paper sees it

/// Questions by exact content version. A version never changes, so a parsed question can be kept for the life of
/// the process on every instance: rendering 10,000 papers at the start reads no question bodies twice.
static QUESTIONS: LazyLock<RwLock<HashMap<i64, Arc<Question>>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

pub async fn question(
    conn: &mut AnyConnection,
    version_id: i64,
) -> Result<Arc<Question>, AppError> {
    if let Some(q) = QUESTIONS
        .read()
        .ok()
        .and_then(|m| m.get(&version_id).cloned())
    {
        return Ok(q);
    }
    let body = content_store::version_body(conn, version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let q: Question =
        serde_json::from_str(&body).map_err(|e| AppError::internal("question body", e))?;
    let q = Arc::new(q);
    if let Ok(mut m) = QUESTIONS.write() {
        m.insert(version_id, q.clone());
    }
    Ok(q)
}

/// The published bank: (version id, question) for every paper kind.
pub async fn bank(conn: &mut AnyConnection) -> Result<Vec<(i64, Arc<Question>)>, AppError> {
    let rows = sqlx::query(
        "select v.version_id from content_item i join content_version v on v.content_id = i.content_id \
         and v.version = i.published_version where i.kind = 'question' and i.status = 'published' \
         and i.scope_unit_id is null order by i.item_key",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let v: i64 = row.try_get("version_id")?;
        let q = question(conn, v).await?;
        if rules::PAPER_KINDS.contains(&kind_code(&q)) {
            out.push((v, q));
        }
    }
    Ok(out)
}

pub fn kind_code(q: &Question) -> &'static str {
    use crate::content::model::QuestionKind;
    match q.kind {
        QuestionKind::Single => "single",
        QuestionKind::Multiple => "multiple",
        QuestionKind::Judge => "judge",
        QuestionKind::Case => "case",
    }
}

pub fn topic_code(q: &Question) -> &'static str {
    use crate::content::model::Topic;
    match q.topic {
        Topic::Procedure => "procedure",
        Topic::Evidence => "evidence",
        Topic::Law => "law",
        Topic::Penalty => "penalty",
        Topic::Monitoring => "monitoring",
        Topic::Industry => "industry",
        Topic::Case => "case",
    }
}

/// Rows the bank cannot fill: (row index, available, wanted). Rows draw without overlap, in order.
pub fn shortfalls(bp: &Blueprint, bank: &[(i64, Arc<Question>)]) -> Vec<(usize, usize, u32)> {
    let mut used: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for (i, row) in bp.rows.iter().enumerate() {
        let fits: Vec<&str> = bank
            .iter()
            .filter(|(_, q)| {
                !used.contains(q.id.as_str())
                    && row.admits(kind_code(q), topic_code(q), q.difficulty)
            })
            .map(|(_, q)| q.id.as_str())
            .collect();
        if fits.len() < row.count as usize {
            out.push((i, fits.len(), row.count));
        }
        used.extend(fits.into_iter().take(row.count as usize));
    }
    out
}

/// Draws one candidate's paper: each row's questions at random from what fits it and no earlier row took, grouped
/// by kind (single, multiple, judge) and shuffled within the group, options shuffled per question.
pub fn draw(
    bp: &Blueprint,
    bank: &[(i64, Arc<Question>)],
    rng: &mut impl Rng,
) -> Option<Vec<PaperItem>> {
    let mut used: HashSet<&str> = HashSet::new();
    let mut groups: BTreeMap<usize, Vec<PaperItem>> = BTreeMap::new();
    for row in &bp.rows {
        let fits: Vec<&(i64, Arc<Question>)> = bank
            .iter()
            .filter(|(_, q)| {
                !used.contains(q.id.as_str())
                    && row.admits(kind_code(q), topic_code(q), q.difficulty)
            })
            .collect();
        let picked: Vec<&&(i64, Arc<Question>)> =
            fits.choose_multiple(rng, row.count as usize).collect();
        if picked.len() < row.count as usize {
            return None;
        }
        for (v, q) in picked.into_iter().map(|p| (p.0, &p.1)) {
            used.insert(q.id.as_str());
            let mut order: Vec<u8> = (0..q.options.len() as u8).collect();
            order.shuffle(rng);
            let group = rules::PAPER_KINDS
                .iter()
                .position(|k| *k == kind_code(q))
                .unwrap_or(0);
            groups.entry(group).or_default().push(PaperItem {
                q: q.id.clone(),
                v,
                kind: kind_code(q).to_owned(),
                order,
                points: i64::from(row.points) * 100,
            });
        }
    }
    let mut paper = Vec::new();
    for (_, mut items) in groups {
        items.shuffle(rng);
        paper.extend(items);
    }
    Some(paper)
}

// ---------------------------------------------------------------------------------------------------------------
// Roster

#[derive(Clone, Debug)]
pub struct EntrantInfo {
    pub entrant_id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_name: String,
    pub team: Option<String>,
    pub candidate_no: String,
}

pub async fn entrants(conn: &mut AnyConnection, cid: i64) -> Result<Vec<EntrantInfo>, sqlx::Error> {
    let rows = sqlx::query(
        "select e.entrant_id, e.user_id, u.username, u.display_name, un.name as unit_name, t.name as team, \
         e.candidate_no from entrant e join app_user u on u.user_id = e.user_id join unit un on un.unit_id = e.unit_id \
         left join team t on t.team_id = e.team_id where e.competition_id = $1 order by e.candidate_no",
    )
    .bind(cid)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EntrantInfo {
                entrant_id: r.try_get("entrant_id")?,
                user_id: r.try_get("user_id")?,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                unit_name: r.try_get("unit_name")?,
                team: r.try_get("team")?,
                candidate_no: r.try_get("candidate_no")?,
            })
        })
        .collect()
}

/// One roster line to enrol: a username, and optionally a team (with the unit code the team represents).
#[derive(Clone, Debug)]
pub struct RosterLine {
    pub row: usize,
    pub username: String,
    pub team: Option<String>,
    pub team_unit: Option<String>,
}

/// Reads roster lines from cells: a header row naming 用户名/username and optionally 队伍/team and
/// 队伍单位/team unit, then one candidate per row. Errors are per row, as locale keys.
pub fn roster_lines(cells: &[Vec<String>]) -> Result<Vec<RosterLine>, &'static str> {
    let Some((header_at, header)) = cells
        .iter()
        .enumerate()
        .find(|(_, r)| r.iter().any(|c| is_header(c, &["用户名", "username"])))
    else {
        return Err("competition.roster_err_header");
    };
    let col = |names: &[&str]| header.iter().position(|c| is_header(c, names));
    let user_col = col(&["用户名", "username"]).ok_or("competition.roster_err_header")?;
    let team_col = col(&["队伍", "team"]);
    let team_unit_col = col(&["队伍单位", "team unit", "team_unit"]);
    let cell = |r: &Vec<String>, c: Option<usize>| {
        c.and_then(|c| r.get(c))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    Ok(cells
        .iter()
        .enumerate()
        .skip(header_at + 1)
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, r)| RosterLine {
            row: i + 1,
            username: cell(r, Some(user_col)).unwrap_or_default(),
            team: cell(r, team_col),
            team_unit: cell(r, team_unit_col),
        })
        .collect())
}

fn is_header(cell: &str, names: &[&str]) -> bool {
    let c = cell.trim().trim_start_matches('\u{feff}').to_lowercase();
    names.iter().any(|n| c == *n)
}

/// Enrols roster lines; returns how many were enrolled and the errors of the others (row, key, value).
/// Candidate numbers continue the competition's sequence, in roster order.
pub async fn enrol(
    conn: &mut AnyConnection,
    c: &CompetitionRow,
    lines: &[RosterLine],
) -> Result<(usize, Vec<RosterError>), sqlx::Error> {
    let mut errors = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut next: i64 = sqlx::query_scalar(
        "select cast(count(*) as bigint) from entrant where competition_id = $1",
    )
    .bind(c.id)
    .fetch_one(&mut *conn)
    .await?;
    let mut teams: HashMap<String, (i64, String)> = HashMap::new();
    for row in sqlx::query(
        "select t.team_id, t.name, u.path from team t join unit u on u.unit_id = t.unit_id where t.competition_id = $1",
    )
    .bind(c.id)
    .fetch_all(&mut *conn)
    .await?
    {
        teams.insert(
            row.try_get("name")?,
            (row.try_get("team_id")?, row.try_get("path")?),
        );
    }
    let mut enrolled = 0;
    let now = crate::server::db::now();
    for line in lines {
        let err = |key: &'static str, value: &str| RosterError {
            row: line.row,
            key: key.to_owned(),
            value: value.to_owned(),
        };
        if line.username.is_empty() {
            errors.push(err("competition.roster_err_username", ""));
            continue;
        }
        if !seen.insert(line.username.clone()) {
            errors.push(err("competition.roster_err_duplicate", &line.username));
            continue;
        }
        let user = sqlx::query(
            "select u.user_id, u.unit_id, un.path from app_user u join unit un on un.unit_id = u.unit_id \
             where u.username = $1 and u.active = 1",
        )
        .bind(&line.username)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(user) = user else {
            errors.push(err("competition.roster_err_unknown", &line.username));
            continue;
        };
        let (user_id, unit_id, path): (i64, i64, String) = (
            user.try_get("user_id")?,
            user.try_get("unit_id")?,
            user.try_get("path")?,
        );
        if !path.starts_with(&c.unit_path) {
            errors.push(err("competition.roster_err_scope", &line.username));
            continue;
        }
        let team_id = match &line.team {
            None => None,
            Some(name) => match teams.get(name) {
                Some((id, team_path)) => {
                    if !path.starts_with(team_path.as_str()) {
                        errors.push(err("competition.roster_err_team_unit", name));
                        continue;
                    }
                    Some(*id)
                }
                None => {
                    // A new team represents the unit named beside it, or the member's own unit.
                    let (team_unit, team_path) = match &line.team_unit {
                        Some(code) => match crate::server::units::by_code(conn, code).await? {
                            Some(u) if u.path.starts_with(&c.unit_path) => (u.unit_id, u.path),
                            _ => {
                                errors.push(err("competition.roster_err_team_unit", code));
                                continue;
                            }
                        },
                        None => (unit_id, path.clone()),
                    };
                    if !path.starts_with(&team_path) {
                        errors.push(err("competition.roster_err_team_unit", name));
                        continue;
                    }
                    let id: i64 = sqlx::query_scalar(
                        "insert into team (competition_id, unit_id, name) values ($1, $2, $3) returning team_id",
                    )
                    .bind(c.id)
                    .bind(team_unit)
                    .bind(name)
                    .fetch_one(&mut *conn)
                    .await?;
                    teams.insert(name.clone(), (id, team_path));
                    Some(id)
                }
            },
        };
        let exists: Option<i64> = sqlx::query_scalar(
            "select entrant_id from entrant where competition_id = $1 and user_id = $2",
        )
        .bind(c.id)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
        if exists.is_some() {
            errors.push(err("competition.roster_err_enrolled", &line.username));
            continue;
        }
        next += 1;
        sqlx::query(
            "insert into entrant (competition_id, user_id, unit_id, team_id, candidate_no, created_at) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.id)
        .bind(user_id)
        .bind(unit_id)
        .bind(team_id)
        .bind(candidate_no(c.id, next))
        .bind(now)
        .execute(&mut *conn)
        .await?;
        enrolled += 1;
    }
    Ok((enrolled, errors))
}

/// Candidate numbers: the competition and a sequence, e.g. 0007-00042.
pub fn candidate_no(cid: i64, n: i64) -> String {
    format!("{cid:04}-{n:05}")
}

// ---------------------------------------------------------------------------------------------------------------
// Papers and sittings

/// Opens a theory stage's waiting room: every entrant without a paper gets one drawn now, so the start does no
/// heavy work. Returns how many papers were drawn.
pub async fn draw_papers(
    conn: &mut AnyConnection,
    stage: &StageRow,
    bank: &[(i64, Arc<Question>)],
) -> Result<usize, AppError> {
    let bp = stage.blueprint.clone().unwrap_or_default();
    let missing: Vec<i64> = sqlx::query_scalar(
        "select e.entrant_id from entrant e where e.competition_id = $1 and not exists \
         (select 1 from exam_sitting s where s.stage_id = $2 and s.entrant_id = e.entrant_id) order by e.entrant_id",
    )
    .bind(stage.competition_id)
    .bind(stage.id)
    .fetch_all(&mut *conn)
    .await?;
    let max = i64::from(bp.total_points()) * 100;
    let deadline = stage.started_at.map(|s| s + stage.duration_s);
    let drawn = {
        let mut rng = rand::thread_rng();
        let mut drawn = Vec::with_capacity(missing.len());
        for _ in &missing {
            let paper = draw(&bp, bank, &mut rng)
                .ok_or_else(|| AppError::field("blueprint", "competition.err_bank_short"))?;
            drawn.push(serde_json::to_string(&paper).unwrap_or_default());
        }
        drawn
    };
    for (entrant, paper) in missing.iter().zip(&drawn) {
        sqlx::query(
            "insert into exam_sitting (stage_id, entrant_id, paper, max_score, deadline_at) values ($1, $2, $3, $4, $5)",
        )
        .bind(stage.id)
        .bind(entrant)
        .bind(paper)
        .bind(max)
        .bind(deadline)
        .execute(&mut *conn)
        .await?;
    }
    Ok(missing.len())
}

/// What the exam routes need of a sitting.
#[derive(Clone, Debug)]
pub struct Sitting {
    pub id: i64,
    pub stage_id: i64,
    pub entrant_id: i64,
    pub user_id: i64,
    pub candidate_no: String,
    pub paper: Vec<PaperItem>,
    pub max_score: i64,
    pub extra_s: i64,
    pub deadline_at: Option<i64>,
    pub token: Option<String>,
    pub generation: i64,
    pub submitted_at: Option<i64>,
    pub submit_kind: Option<String>,
    pub score: Option<i64>,
    pub attempt_id: Option<i64>,
}

const SITTING: &str = "select s.sitting_id, s.stage_id, s.entrant_id, e.user_id, e.candidate_no, s.paper, s.max_score, \
     s.extra_s, s.deadline_at, s.token, s.generation, s.submitted_at, s.submit_kind, s.score, s.attempt_id \
     from exam_sitting s join entrant e on e.entrant_id = s.entrant_id";

fn sitting_from(row: &sqlx::any::AnyRow) -> Result<Sitting, sqlx::Error> {
    let paper: String = row.try_get("paper")?;
    Ok(Sitting {
        id: row.try_get("sitting_id")?,
        stage_id: row.try_get("stage_id")?,
        entrant_id: row.try_get("entrant_id")?,
        user_id: row.try_get("user_id")?,
        candidate_no: row.try_get("candidate_no")?,
        paper: serde_json::from_str(&paper).unwrap_or_default(),
        max_score: row.try_get("max_score")?,
        extra_s: row.try_get("extra_s")?,
        deadline_at: row.try_get("deadline_at")?,
        token: row.try_get("token")?,
        generation: row.try_get("generation")?,
        submitted_at: row.try_get("submitted_at")?,
        submit_kind: row.try_get("submit_kind")?,
        score: row.try_get("score")?,
        attempt_id: row.try_get("attempt_id")?,
    })
}

pub async fn sitting(conn: &mut AnyConnection, id: i64) -> Result<Option<Sitting>, sqlx::Error> {
    let row = sqlx::query(&format!("{SITTING} where s.sitting_id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(sitting_from).transpose()
}

pub async fn sitting_of(
    conn: &mut AnyConnection,
    stage_id: i64,
    user_id: i64,
) -> Result<Option<Sitting>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "{SITTING} where s.stage_id = $1 and e.user_id = $2"
    ))
    .bind(stage_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(sitting_from).transpose()
}

pub async fn entrant_of(
    conn: &mut AnyConnection,
    cid: i64,
    user_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select entrant_id from entrant where competition_id = $1 and user_id = $2")
        .bind(cid)
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// Makes this browser the candidate's one active exam session: a fresh token and generation. A browser that held
/// the previous token is refused on its next request and told why; both sessions are logged.
pub async fn claim(
    conn: &mut AnyConnection,
    sitting: &Sitting,
    ip: &str,
    agent: &str,
) -> Result<(String, i64), sqlx::Error> {
    let token = new_token();
    let now = crate::server::db::now();
    let generation = sitting.generation + 1;
    sqlx::query(
        "update exam_sitting set token = $1, generation = $2, claimed_at = $3 where sitting_id = $4",
    )
    .bind(&token)
    .bind(generation)
    .bind(now)
    .bind(sitting.id)
    .execute(&mut *conn)
    .await?;
    let agent: String = agent.chars().take(160).collect();
    let kind = if sitting.token.is_some() {
        "takeover"
    } else {
        "session"
    };
    log_event(conn, sitting.id, kind, &format!("{ip} {agent}")).await?;
    Ok((token, generation))
}

pub async fn log_event(
    conn: &mut AnyConnection,
    sitting_id: i64,
    kind: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into exam_event (sitting_id, at, kind, detail) values ($1, $2, $3, $4)")
        .bind(sitting_id)
        .bind(crate::server::db::now())
        .bind(kind)
        .bind(detail)
        .execute(conn)
        .await?;
    Ok(())
}

fn new_token() -> String {
    let bytes: [u8; 24] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts a stage for everyone at once: one statement sets every sitting's deadline from the same instant.
pub async fn start(
    conn: &mut AnyConnection,
    stage: &StageRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update stage set status = 'running', started_at = $1 where stage_id = $2")
        .bind(now)
        .bind(stage.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "update exam_sitting set deadline_at = $1 + extra_s where stage_id = $2 and submitted_at is null",
    )
    .bind(now + stage.duration_s)
    .bind(stage.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The answers saved for a sitting, by position.
pub async fn answers(
    conn: &mut AnyConnection,
    sitting_id: i64,
) -> Result<BTreeMap<i64, String>, sqlx::Error> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("select position, answer from exam_answer where sitting_id = $1")
            .bind(sitting_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Why an answer was not saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Another browser holds the exam now.
    TakenOver,
    /// Submitted, or the time is up.
    Closed,
    /// The stage has not started.
    NotStarted,
    /// No such position, or an answer the question cannot have.
    Invalid,
}

/// One answer to save.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct AnswerIn {
    pub pos: i64,
    pub answer: String,
    pub seq: i64,
}

/// Saves answers of one sitting inside the caller's transaction. The first statement touches the sitting on the
/// condition that the token is current and the sitting open, which both decides and (on PostgreSQL) locks it
/// against a submission until commit. An answer replaces an older one of the same session only.
pub async fn save_answers(
    conn: &mut AnyConnection,
    sitting_id: i64,
    token: &str,
    answers: &[AnswerIn],
    now: i64,
) -> Result<Result<i64, Refusal>, sqlx::Error> {
    let generation: Option<i64> = sqlx::query_scalar(
        "update exam_sitting set last_saved_at = $1 where sitting_id = $2 and token = $3 \
         and submitted_at is null and deadline_at is not null and deadline_at + $4 >= $1 returning generation",
    )
    .bind(now)
    .bind(sitting_id)
    .bind(token)
    .bind(GRACE_S)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(generation) = generation else {
        return refusal(conn, sitting_id, token, now).await.map(Err);
    };
    for a in answers {
        sqlx::query(
            "insert into exam_answer (sitting_id, position, answer, generation, seq, saved_at) \
             values ($1, $2, $3, $4, $5, $6) on conflict (sitting_id, position) do update set \
             answer = excluded.answer, generation = excluded.generation, seq = excluded.seq, saved_at = excluded.saved_at \
             where exam_answer.generation < excluded.generation \
             or (exam_answer.generation = excluded.generation and exam_answer.seq < excluded.seq)",
        )
        .bind(sitting_id)
        .bind(a.pos)
        .bind(&a.answer)
        .bind(generation)
        .bind(a.seq)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(Ok(generation))
}

/// Why a sitting refuses a request with this token.
pub async fn refusal(
    conn: &mut AnyConnection,
    sitting_id: i64,
    token: &str,
    now: i64,
) -> Result<Refusal, sqlx::Error> {
    let row: Option<(Option<String>, Option<i64>, Option<i64>)> = sqlx::query_as(
        "select token, deadline_at, submitted_at from exam_sitting where sitting_id = $1",
    )
    .bind(sitting_id)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        None => Refusal::Invalid,
        Some((t, _, _)) if t.as_deref() != Some(token) => Refusal::TakenOver,
        Some((_, _, Some(_))) => Refusal::Closed,
        Some((_, None, _)) => Refusal::NotStarted,
        Some((_, Some(d), _)) if d + GRACE_S < now => Refusal::Closed,
        Some(_) => Refusal::Invalid,
    })
}

/// Submits a sitting (once; a second call changes nothing) and grades it with the answers saved until then.
pub async fn submit(
    conn: &mut AnyConnection,
    sitting_id: i64,
    kind: &str,
    now: i64,
) -> Result<bool, AppError> {
    // Handed in after the deadline (and its grace) but before the sweeper came by: it is the clock's submission,
    // at the deadline, whoever pressed the button.
    let done = sqlx::query(
        "update exam_sitting set \
         submitted_at = case when deadline_at is not null and deadline_at + $4 < $1 then deadline_at else $1 end, \
         submit_kind = case when deadline_at is not null and deadline_at + $4 < $1 then 'auto' else $2 end \
         where sitting_id = $3 and submitted_at is null",
    )
    .bind(now)
    .bind(kind)
    .bind(sitting_id)
    .bind(GRACE_S)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if done {
        regrade(conn, sitting_id).await?;
    }
    Ok(done)
}

/// Grades a submitted sitting from its saved answers, leaving voided questions out of score and full marks.
pub async fn regrade(conn: &mut AnyConnection, sitting_id: i64) -> Result<(i64, i64), AppError> {
    let s = sitting(conn, sitting_id).await?.ok_or(AppError::NotFound)?;
    let rule = stage(conn, s.stage_id)
        .await?
        .and_then(|st| st.blueprint)
        .map(|b| b.multiple_rule)
        .unwrap_or_default();
    let voided = voided(conn, s.stage_id).await?;
    let given = answers(conn, sitting_id).await?;
    let (mut score, mut max) = (0, 0);
    for (pos, item) in s.paper.iter().enumerate() {
        if voided.contains(&item.q) {
            continue;
        }
        let q = question(conn, item.v).await?;
        max += item.points;
        let a = given.get(&(pos as i64)).map(String::as_str).unwrap_or("");
        score += rules::score_item(&item.kind, &q.answer, a, item.points, rule);
    }
    sqlx::query("update exam_sitting set score = $1, max_score = $2 where sitting_id = $3")
        .bind(score)
        .bind(max)
        .bind(sitting_id)
        .execute(&mut *conn)
        .await?;
    Ok((score, max))
}

pub async fn voided(
    conn: &mut AnyConnection,
    stage_id: i64,
) -> Result<HashSet<String>, sqlx::Error> {
    let keys: Vec<String> =
        sqlx::query_scalar("select question_key from voided_question where stage_id = $1")
            .bind(stage_id)
            .fetch_all(conn)
            .await?;
    Ok(keys.into_iter().collect())
}

/// Submits every open sitting whose time is up, and closes running stages nobody is still sitting. Returns the
/// sittings submitted. Runs on every instance; the guarded update makes a sitting submit once.
pub async fn sweep(conn: &mut AnyConnection, now: i64) -> Result<usize, AppError> {
    // A stage with a planned start begins on time by itself, from that instant, for everyone in its waiting room.
    let due: Vec<i64> = sqlx::query_scalar(
        "select stage_id from stage where status = 'waiting' and starts_at is not null and starts_at <= $1",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    for id in due {
        let Some(stage) = stage(conn, id).await? else {
            continue;
        };
        let at = stage.starts_at.unwrap_or(now);
        let started = sqlx::query("update stage set status = 'running', started_at = $1 where stage_id = $2 and status = 'waiting'")
            .bind(at)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if started == 1 {
            start(conn, &stage, at).await?;
            sqlx::query("update competition set status = 'running' where competition_id = $1 and status = 'open'")
                .bind(stage.competition_id)
                .execute(&mut *conn)
                .await?;
            let path: String = sqlx::query_scalar(
                "select u.path from competition c join unit u on u.unit_id = c.unit_id where c.competition_id = $1",
            )
            .bind(stage.competition_id)
            .fetch_one(&mut *conn)
            .await?;
            crate::server::audit::record(
                conn,
                &crate::server::audit::Actor::default(),
                "competition_start",
                &format!("stage:{id}"),
                &stage.title,
                &path,
            )
            .await?;
        }
    }
    let due: Vec<i64> = sqlx::query_scalar(
        "select sitting_id from exam_sitting where submitted_at is null and deadline_at is not null \
         and deadline_at + $1 < $2 and attempt_id is null order by sitting_id limit 500",
    )
    .bind(GRACE_S)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let mut n = 0;
    for id in &due {
        if submit(conn, *id, "auto", now).await? {
            n += 1;
        }
    }
    n += super::practical::sweep(conn, now).await?;
    n += crate::grading::ssr::sweep(conn, now).await?;
    sqlx::query(
        "update stage set status = 'closed', closed_at = $1 where status = 'running' \
         and started_at + duration_s + $2 < $1 and not exists \
         (select 1 from exam_sitting s where s.stage_id = stage.stage_id and s.submitted_at is null)",
    )
    .bind(now)
    .bind(GRACE_S)
    .execute(&mut *conn)
    .await?;
    Ok(n)
}

/// Extra time for one candidate: moves the deadline of a started sitting too.
pub async fn grant_extra(
    conn: &mut AnyConnection,
    sitting_id: i64,
    seconds: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update exam_sitting set extra_s = extra_s + $1, deadline_at = case when deadline_at is null then null \
         else deadline_at + $1 end where sitting_id = $2 and submitted_at is null",
    )
    .bind(seconds)
    .bind(sitting_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Per-question statistics over the submitted sittings of a stage, in the order questions first appear.
pub async fn statistics(
    conn: &mut AnyConnection,
    stage: &StageRow,
) -> Result<Vec<QuestionStats>, AppError> {
    let rule = stage
        .blueprint
        .as_ref()
        .map(|b| b.multiple_rule)
        .unwrap_or(MultipleRule::AllOrNothing);
    let rows = sqlx::query(
        "select sitting_id, paper, score from exam_sitting where stage_id = $1 and submitted_at is not null",
    )
    .bind(stage.id)
    .fetch_all(&mut *conn)
    .await?;
    let voided = voided(conn, stage.id).await?;
    let all: Vec<(i64, String, i64)> = sqlx::query_as(
        "select a.sitting_id, a.answer, a.position from exam_answer a join exam_sitting s on s.sitting_id = a.sitting_id \
         where s.stage_id = $1 and s.submitted_at is not null",
    )
    .bind(stage.id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(s, a, p): (i64, String, i64)| (s, a, p))
    .collect();
    let mut given: HashMap<(i64, i64), String> = HashMap::new();
    for (s, a, p) in all {
        given.insert((s, p), a);
    }
    let mut order: Vec<(String, i64)> = Vec::new();
    let mut responses: HashMap<String, Vec<rules::Response>> = HashMap::new();
    for row in rows {
        let sid: i64 = row.try_get("sitting_id")?;
        let total: Option<i64> = row.try_get("score")?;
        let paper: Vec<PaperItem> =
            serde_json::from_str(&row.try_get::<String, _>("paper")?).unwrap_or_default();
        for (pos, item) in paper.iter().enumerate() {
            let q = question(conn, item.v).await?;
            let answer = given.get(&(sid, pos as i64)).cloned().unwrap_or_default();
            let earned = rules::score_item(&item.kind, &q.answer, &answer, item.points, rule);
            if !responses.contains_key(&item.q) {
                order.push((item.q.clone(), item.v));
            }
            responses
                .entry(item.q.clone())
                .or_default()
                .push(rules::Response {
                    total: total.unwrap_or(0),
                    earned,
                    points: item.points,
                    answer,
                });
        }
    }
    let mut out = Vec::new();
    for (key, v) in order {
        let q = question(conn, v).await?;
        let letters: Vec<String> = if kind_code(&q) == "judge" {
            vec!["T".into(), "F".into()]
        } else {
            (0..q.options.len())
                .map(|i| ((b'A' + i as u8) as char).to_string())
                .collect()
        };
        let stats = rules::item_stats(&responses[&key], &letters);
        out.push(QuestionStats {
            key: key.clone(),
            stem: q.stem.chars().take(80).collect(),
            kind: kind_code(&q).to_owned(),
            answer: q.answer.join(""),
            voided: voided.contains(&key),
            stats,
        });
    }
    Ok(out)
}

/// Voids a question for a stage and regrades every submitted sitting of it.
pub async fn void_question(
    conn: &mut AnyConnection,
    stage_id: i64,
    key: &str,
    reason: &str,
    by: i64,
) -> Result<usize, AppError> {
    sqlx::query(
        "insert into voided_question (stage_id, question_key, reason, voided_by, voided_at) values ($1, $2, $3, $4, $5) \
         on conflict (stage_id, question_key) do nothing",
    )
    .bind(stage_id)
    .bind(key)
    .bind(reason)
    .bind(by)
    .bind(crate::server::db::now())
    .execute(&mut *conn)
    .await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "select sitting_id from exam_sitting where stage_id = $1 and submitted_at is not null",
    )
    .bind(stage_id)
    .fetch_all(&mut *conn)
    .await?;
    for id in &ids {
        regrade(conn, *id).await?;
    }
    Ok(ids.len())
}

/// A candidate's question as shown: stem and options in this paper's order, under the question's own letters.
/// Nothing of the key, explanation or basis.
pub fn shown(pos: usize, item: &PaperItem, q: &Question) -> ShownQuestion {
    let options = if item.kind == "judge" {
        vec![
            ("T".to_owned(), String::new()),
            ("F".to_owned(), String::new()),
        ]
    } else {
        item.order
            .iter()
            .filter_map(|&i| {
                q.options
                    .get(i as usize)
                    .map(|text| (((b'A' + i) as char).to_string(), text.clone()))
            })
            .collect()
    };
    ShownQuestion {
        pos: pos as i64,
        kind: item.kind.clone(),
        stem: q.stem.clone(),
        options,
        points: item.points,
    }
}
