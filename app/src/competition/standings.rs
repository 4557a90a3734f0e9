//! Results as people use them: the admin's results page (ranking rules, preview, 公示 publication, appeals, the
//! final lock, exports, a report per examiner), the public results page, the candidate's appeal, and the award
//! certificates with their public verification.

use super::results::{GroupRow, Results, Rules};
use super::{CompetitionCard, Status, points};
use crate::accounts::Protected;
use crate::domain::Role;
use crate::error::AppError;
use crate::grading::rules::{Award, Champions, TieBreak};
use crate::i18n::{t, t_with};
use crate::ui::{ActionFeedback, Empty, PageHeader, format_time};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppealRow {
    pub id: i64,
    pub candidate_no: String,
    pub name: String,
    pub stage: Option<String>,
    pub reason: String,
    pub filed_at: i64,
    pub status: String,
    pub resolution: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExaminerReport {
    pub name: String,
    pub unit: String,
    pub stage: String,
    pub assigned: i64,
    pub locked: i64,
    pub mean: Option<i64>,
    pub severity: f64,
    pub consistency: f64,
    pub changed: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultsAdminView {
    pub card: CompetitionCard,
    pub results: Results,
    pub rules: Rules,
    pub appeals: Vec<AppealRow>,
    pub published_at: Option<i64>,
    pub appeal_until: Option<i64>,
    pub examiners: Vec<ExaminerReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicResultsView {
    pub name: String,
    pub unit: String,
    pub status: Status,
    pub appeal_until: Option<i64>,
    pub results: Results,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AwardView {
    pub code: String,
    pub holder: String,
    pub unit: String,
    pub competition: String,
    pub title: String,
    pub issued_at: i64,
}

/// What a candidate sees of a published competition: their place, award, certificates and appeals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyStanding {
    pub rank: usize,
    pub total: i64,
    pub champion: bool,
    pub award: Option<Award>,
    pub appeal_open: bool,
    pub appeals: Vec<AppealRow>,
    pub certificates: Vec<(String, String)>,
}

pub fn award_label(a: Award) -> String {
    t(match a {
        Award::First => "results.first",
        Award::Second => "results.second",
        Award::Third => "results.third",
    })
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::competition::ssr::CompetitionRow;
    use sqlx::{AnyConnection, Row};

    pub async fn appeals(
        conn: &mut AnyConnection,
        cid: i64,
        entrant: Option<i64>,
    ) -> Result<Vec<AppealRow>, sqlx::Error> {
        let rows = sqlx::query(
            "select a.appeal_id, e.candidate_no, u.display_name, st.title, a.reason, a.filed_at, a.status, a.resolution \
             from appeal a join entrant e on e.entrant_id = a.entrant_id join app_user u on u.user_id = e.user_id \
             left join stage st on st.stage_id = a.stage_id where a.competition_id = $1 and ($2 = 0 or a.entrant_id = $2) \
             order by a.appeal_id",
        )
        .bind(cid)
        .bind(entrant.unwrap_or(0))
        .fetch_all(conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AppealRow {
                    id: r.try_get("appeal_id")?,
                    candidate_no: r.try_get("candidate_no")?,
                    name: r.try_get("display_name")?,
                    stage: r.try_get("title")?,
                    reason: r.try_get("reason")?,
                    filed_at: r.try_get("filed_at")?,
                    status: r.try_get("status")?,
                    resolution: r.try_get("resolution")?,
                })
            })
            .collect()
    }

    pub async fn examiner_report(
        conn: &mut AnyConnection,
        cid: i64,
    ) -> Result<Vec<ExaminerReport>, AppError> {
        let stages = crate::competition::ssr::stages(conn, cid).await?;
        let mut out = Vec::new();
        for s in stages.iter().filter(|s| !s.kind.timed()) {
            let stats = crate::grading::rules::examiner_stats(
                &crate::grading::ssr::locked_totals(conn, s.id).await?,
            );
            let rows = sqlx::query(
                "select a.examiner_id, u.display_name, un.name as unit_name, cast(count(*) as bigint) as assigned, \
                 cast(count(a.locked_at) as bigint) as locked, cast(avg(a.total) as double precision) as mean, \
                 cast((select count(*) from mark_log l join submission s2 on s2.submission_id = l.submission_id \
                   where l.examiner_id = a.examiner_id and l.kind = 'change' and s2.stage_id = $1) as bigint) as changed \
                 from assignment a join submission s on s.submission_id = a.submission_id join app_user u on u.user_id = a.examiner_id \
                 join unit un on un.unit_id = u.unit_id where s.stage_id = $1 group by a.examiner_id, u.display_name, un.name order by u.display_name",
            )
            .bind(s.id)
            .fetch_all(&mut *conn)
            .await?;
            for r in rows {
                let ex: i64 = r.try_get("examiner_id")?;
                let st = stats.iter().find(|x| x.examiner == ex);
                out.push(ExaminerReport {
                    name: r.try_get("display_name")?,
                    unit: r.try_get("unit_name")?,
                    stage: s.title.clone(),
                    assigned: r.try_get("assigned")?,
                    locked: r.try_get("locked")?,
                    mean: r
                        .try_get::<Option<f64>, _>("mean")?
                        .map(|m| m.round() as i64),
                    severity: st.map(|x| x.severity).unwrap_or(0.0),
                    consistency: st.map(|x| x.consistency).unwrap_or(0.0),
                    changed: r.try_get("changed")?,
                });
            }
        }
        Ok(out)
    }

    /// A candidate's published standing, if results are published.
    pub async fn standing(
        conn: &mut AnyConnection,
        competition: i64,
        entrant: i64,
    ) -> Result<Option<MyStanding>, sqlx::Error> {
        let row: Option<(i64, i64, i64, Option<String>)> =
            sqlx::query_as("select rank, total, champion, award from result where competition_id = $1 and entrant_id = $2")
                .bind(competition)
                .bind(entrant)
                .fetch_optional(&mut *conn)
                .await?;
        let Some((rank, total, champion, award)) = row else {
            return Ok(None);
        };
        let (status, until): (String, Option<i64>) = sqlx::query_as(
            "select status, appeal_until from competition where competition_id = $1",
        )
        .bind(competition)
        .fetch_one(&mut *conn)
        .await?;
        let certificates = sqlx::query_as::<_, (String, String)>(
            "select code, title from award_certificate where competition_id = $1 and entrant_id = $2 order by title",
        )
        .bind(competition)
        .bind(entrant)
        .fetch_all(&mut *conn)
        .await?;
        Ok(Some(MyStanding {
            rank: rank as usize,
            total,
            champion: champion != 0,
            award: award.as_deref().and_then(|a| match a {
                "first" => Some(Award::First),
                "second" => Some(Award::Second),
                "third" => Some(Award::Third),
                _ => None,
            }),
            appeal_open: status == "publicity"
                && until.is_some_and(|u| crate::server::db::now() <= u),
            appeals: appeals(conn, competition, Some(entrant)).await?,
            certificates,
        }))
    }

    /// The award titles a result row earns: 执法能手 and the prize, each its own certificate.
    pub fn titles(champion: bool, award: Option<Award>) -> Vec<String> {
        let mut v = Vec::new();
        if champion {
            v.push(crate::i18n::tr(
                crate::i18n::Locale::ZhCn,
                "results.champion",
            ));
        }
        if let Some(a) = award {
            v.push(crate::i18n::tr(
                crate::i18n::Locale::ZhCn,
                match a {
                    Award::First => "results.first",
                    Award::Second => "results.second",
                    Award::Third => "results.third",
                },
            ));
        }
        v
    }

    pub fn results_csv(r: &Results) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec![
            "名次".to_owned(),
            "考号".into(),
            "姓名".into(),
            "单位".into(),
            "队伍".into(),
            "总分".into(),
            "执法能手".into(),
            "奖项".into(),
        ];
        header.extend(
            r.stages
                .iter()
                .map(|s| format!("{}（{}%）", s.title, s.weight)),
        );
        let _ = w.write_record(&header);
        for row in &r.rows {
            let mut rec = vec![
                row.rank.to_string(),
                row.candidate_no.clone(),
                row.name.clone(),
                row.unit.clone(),
                row.team.clone().unwrap_or_default(),
                points(row.total),
                if row.champion {
                    "是".into()
                } else {
                    String::new()
                },
                row.award
                    .map(|a| titles(false, Some(a)).join(""))
                    .unwrap_or_default(),
            ];
            rec.extend(
                row.stage_scores
                    .iter()
                    .map(|v| v.map(points).unwrap_or_default()),
            );
            let _ = w.write_record(&rec);
        }
        let bytes = w.into_inner().unwrap_or_default();
        // A BOM, so Excel in China opens the UTF-8 file with the right encoding.
        format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
    }

    pub fn results_xlsx(r: &Results) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("成绩")?;
        let mut header = vec![
            "名次".to_owned(),
            "考号".into(),
            "姓名".into(),
            "单位".into(),
            "队伍".into(),
            "总分".into(),
            "执法能手".into(),
            "奖项".into(),
        ];
        header.extend(
            r.stages
                .iter()
                .map(|s| format!("{}（{}%）", s.title, s.weight)),
        );
        for (c, h) in header.iter().enumerate() {
            sheet.write_string(0, c as u16, h)?;
        }
        for (i, row) in r.rows.iter().enumerate() {
            let y = i as u32 + 1;
            sheet.write_number(y, 0, row.rank as f64)?;
            sheet.write_string(y, 1, &row.candidate_no)?;
            sheet.write_string(y, 2, &row.name)?;
            sheet.write_string(y, 3, &row.unit)?;
            sheet.write_string(y, 4, row.team.as_deref().unwrap_or(""))?;
            sheet.write_number(y, 5, row.total as f64 / 100.0)?;
            sheet.write_string(y, 6, if row.champion { "是" } else { "" })?;
            sheet.write_string(
                y,
                7,
                row.award
                    .map(|a| titles(false, Some(a)).join(""))
                    .unwrap_or_default(),
            )?;
            for (j, v) in row.stage_scores.iter().enumerate() {
                if let Some(v) = v {
                    sheet.write_number(y, 8 + j as u16, *v as f64 / 100.0)?;
                }
            }
        }
        let teams = book.add_worksheet();
        teams.set_name("团体")?;
        write_groups(teams, &r.teams)?;
        let units = book.add_worksheet();
        units.set_name("单位")?;
        write_groups(units, &r.units)?;
        book.save_to_buffer()
    }

    fn write_groups(
        sheet: &mut rust_xlsxwriter::Worksheet,
        groups: &[GroupRow],
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        for (c, h) in ["名次", "名称", "人数", "得分"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h)?;
        }
        for (i, g) in groups.iter().enumerate() {
            let y = i as u32 + 1;
            sheet.write_number(y, 0, g.rank as f64)?;
            sheet.write_string(y, 1, &g.name)?;
            sheet.write_number(y, 2, g.members as f64)?;
            sheet.write_number(y, 3, g.score as f64 / 100.0)?;
        }
        Ok(())
    }

    /// Every examiner's mark on every criterion, with the candidate's number (for the organisers' records).
    pub async fn marks_csv(
        conn: &mut AnyConnection,
        c: &CompetitionRow,
    ) -> Result<String, sqlx::Error> {
        type MarkRow = (
            String,
            String,
            String,
            String,
            String,
            i64,
            String,
            Option<i64>,
        );
        let rows: Vec<MarkRow> = sqlx::query_as(
            "select st.title, s.code, e.candidate_no, u.display_name, m.criterion, m.points, m.note, a.locked_at \
             from mark m join submission s on s.submission_id = m.submission_id join stage st on st.stage_id = s.stage_id \
             join entrant e on e.entrant_id = s.entrant_id join app_user u on u.user_id = m.examiner_id \
             join assignment a on a.submission_id = m.submission_id and a.examiner_id = m.examiner_id \
             where st.competition_id = $1 order by st.position, s.code, u.display_name, m.criterion",
        )
        .bind(c.id)
        .fetch_all(conn)
        .await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "环节",
            "密号",
            "考号",
            "考官",
            "评分项",
            "得分",
            "备注",
            "已锁定",
        ]);
        for (stage, code, no, examiner, criterion, pts, note, locked) in rows {
            let _ = w.write_record([
                stage,
                code,
                no,
                examiner,
                criterion,
                points(pts),
                note,
                if locked.is_some() {
                    "是".into()
                } else {
                    String::new()
                },
            ]);
        }
        let bytes = w.into_inner().unwrap_or_default();
        Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
    }
}

#[cfg(feature = "ssr")]
async fn admin_competition(
    conn: &mut sqlx::AnyConnection,
    admin: &crate::server::auth::CurrentUser,
    id: i64,
) -> Result<super::ssr::CompetitionRow, AppError> {
    super::ssr::competition(conn, id)
        .await?
        .filter(|c| admin.scopes(&c.unit_path))
        .ok_or(AppError::NotFound)
}

#[server(prefix = "/api", endpoint = "results_admin")]
pub async fn results_admin(id: i64) -> Result<ResultsAdminView, AppError> {
    use crate::server::{auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let c = admin_competition(&mut conn, &admin, id).await?;
    let results = super::results::ssr::compute(&mut conn, &c).await?;
    let rules = super::results::ssr::rules_of(&mut conn, id).await?;
    let (published_at, appeal_until): (Option<i64>, Option<i64>) = sqlx::query_as(
        "select published_at, appeal_until from competition where competition_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(ResultsAdminView {
        card: CompetitionCard {
            id: c.id,
            name: c.name.clone(),
            level: c.level,
            status: c.status,
            unit: c.unit_name.clone(),
        },
        results,
        rules,
        appeals: ssr::appeals(&mut conn, id, None).await?,
        published_at,
        appeal_until,
        examiners: ssr::examiner_report(&mut conn, id).await?,
    })
}

#[server(prefix = "/api", endpoint = "save_result_rules")]
#[tracing::instrument(skip_all)]
pub async fn save_result_rules(
    id: i64,
    tie1: String,
    tie2: Option<String>,
    tie3: Option<String>,
    champions: String,
    champions_n: String,
    first: String,
    second: String,
    third: String,
    team_best_of: String,
    org_awards: String,
) -> Result<(), AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let num = |s: &str, field: &str, max: u32| -> Result<u32, AppError> {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or(AppError::field(field, "results.err_number"))
    };
    let n = num(&champions_n, "champions_n", 10_000)?;
    let rules = Rules {
        tie_breaks: [Some(tie1), tie2, tie3]
            .into_iter()
            .flatten()
            .filter_map(|t| match t.as_str() {
                "time" => Some(TieBreak::TimeUsed),
                s => s
                    .strip_prefix("stage:")
                    .and_then(|id| id.parse().ok())
                    .map(TieBreak::Stage),
            })
            .collect(),
        award: crate::grading::rules::AwardRule {
            champions: if champions == "percent" {
                if n > 100 {
                    return Err(AppError::field("champions_n", "results.err_number"));
                }
                Champions::TopPercent(n)
            } else {
                Champions::TopN(n as usize)
            },
            first_percent: num(&first, "first", 100)?,
            second_percent: num(&second, "second", 100)?,
            third_percent: num(&third, "third", 100)?,
        },
        team_best_of: num(&team_best_of, "team_best_of", 50)?.max(1) as usize,
        org_awards: num(&org_awards, "org_awards", 100)? as usize,
    };
    if rules.award.first_percent + rules.award.second_percent + rules.award.third_percent > 100 {
        return Err(AppError::field("first", "results.err_percent_sum"));
    }
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let c = admin_competition(&mut tx, &admin, id).await?;
    if c.status == Status::Final {
        return Err(AppError::field("status", "results.err_final"));
    }
    super::results::ssr::save_rules(&mut tx, id, &rules).await?;
    audit::by(
        &mut tx,
        &admin,
        "results_rules",
        &format!("competition:{id}"),
        &serde_json::to_string(&rules).unwrap_or_default(),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes the results for the 公示 period: names are revealed and the appeal window opens.
#[server(prefix = "/api", endpoint = "publish_results")]
#[tracing::instrument(skip_all)]
pub async fn publish_results(id: i64, days: String) -> Result<(), AppError> {
    use crate::server::{audit, auth, db, state::app_state};
    let admin = auth::require_admin().await?;
    let days: i64 = days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=30).contains(d))
        .ok_or(AppError::field("days", "results.err_days"))?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let c = admin_competition(&mut tx, &admin, id).await?;
    if !matches!(c.status, Status::Running | Status::Grading) {
        return Err(AppError::field("status", "results.err_not_grading"));
    }
    let results = super::results::ssr::compute(&mut tx, &c).await?;
    if !results.pending.is_empty() {
        return Err(AppError::field("status", "results.err_pending"));
    }
    super::results::ssr::store(&mut tx, id, &results).await?;
    let now = db::now();
    sqlx::query("update competition set status = 'publicity', published_at = $1, appeal_until = $2, updated_at = $1 where competition_id = $3")
        .bind(now)
        .bind(now + days * 86_400)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::by(
        &mut tx,
        &admin,
        "results_publish",
        &format!("competition:{id}"),
        &format!("{} / {days}d", results.rows.len()),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Locks the results for good once every appeal is resolved, and issues the award certificates.
#[server(prefix = "/api", endpoint = "finalize_results")]
#[tracing::instrument(skip_all)]
pub async fn finalize_results(id: i64) -> Result<usize, AppError> {
    use crate::server::{audit, auth, db, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let c = admin_competition(&mut tx, &admin, id).await?;
    if c.status != Status::Publicity {
        return Err(AppError::field("status", "results.err_not_publicity"));
    }
    let open: i64 = sqlx::query_scalar(
        "select cast(count(*) as bigint) from appeal where competition_id = $1 and status = 'open'",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if open > 0 {
        return Err(AppError::field("status", "results.err_open_appeals"));
    }
    let results = super::results::ssr::compute(&mut tx, &c).await?;
    super::results::ssr::store(&mut tx, id, &results).await?;
    let n = super::results::ssr::issue_certificates(&mut tx, id, &results, ssr::titles).await?;
    sqlx::query("update competition set status = 'final', final_at = $1, updated_at = $1 where competition_id = $2")
        .bind(db::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::by(
        &mut tx,
        &admin,
        "results_final",
        &format!("competition:{id}"),
        &n.to_string(),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// A candidate appeals, with reasons, during the 公示 period.
#[server(prefix = "/api", endpoint = "file_appeal")]
#[tracing::instrument(skip_all)]
pub async fn file_appeal(
    competition: i64,
    stage: Option<i64>,
    reason: String,
) -> Result<(), AppError> {
    use crate::server::{audit, auth, db, state::app_state};
    let user = auth::require_user().await?;
    let reason = reason.trim().to_owned();
    if reason.chars().count() < 10 || reason.chars().count() > 2000 {
        return Err(AppError::field("reason", "results.err_appeal_reason"));
    }
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let c = super::ssr::competition(&mut tx, competition)
        .await?
        .ok_or(AppError::NotFound)?;
    let entrant = super::ssr::entrant_of(&mut tx, competition, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let until: Option<i64> =
        sqlx::query_scalar("select appeal_until from competition where competition_id = $1")
            .bind(competition)
            .fetch_one(&mut *tx)
            .await?;
    if c.status != Status::Publicity || until.is_none_or(|u| db::now() > u) {
        return Err(AppError::field("reason", "results.err_appeal_closed"));
    }
    if let Some(s) = stage {
        super::ssr::stage(&mut tx, s)
            .await?
            .filter(|s| s.competition_id == competition)
            .ok_or(AppError::NotFound)?;
    }
    let open: i64 = sqlx::query_scalar(
        "select cast(count(*) as bigint) from appeal where entrant_id = $1 and status = 'open' and coalesce(stage_id, 0) = $2",
    )
    .bind(entrant)
    .bind(stage.unwrap_or(0))
    .fetch_one(&mut *tx)
    .await?;
    if open > 0 {
        return Err(AppError::field("reason", "results.err_appeal_twice"));
    }
    sqlx::query("insert into appeal (competition_id, entrant_id, stage_id, reason, filed_at, status) values ($1, $2, $3, $4, $5, 'open')")
        .bind(competition)
        .bind(entrant)
        .bind(stage)
        .bind(&reason)
        .bind(db::now())
        .execute(&mut *tx)
        .await?;
    audit::by(
        &mut tx,
        &user,
        "results_appeal",
        &format!("competition:{competition}"),
        "",
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Resolves an appeal: the chief examiner of the stage appealed (or an admin, for the theory and practical
/// stages). Upheld with a new score, the submission is rescored (in the mark log) and the published table follows.
#[server(prefix = "/api", endpoint = "resolve_appeal")]
#[tracing::instrument(skip_all)]
pub async fn resolve_appeal(
    appeal: i64,
    upheld: bool,
    resolution: String,
    score: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{audit, auth, db, state::app_state};
    let user = auth::require_user().await?;
    let resolution = resolution.trim().to_owned();
    if resolution.is_empty() {
        return Err(AppError::field("resolution", "results.err_resolution"));
    }
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (cid, entrant, stage, status): (i64, i64, Option<i64>, String) = sqlx::query_as(
        "select competition_id, entrant_id, stage_id, status from appeal where appeal_id = $1",
    )
    .bind(appeal)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if status != "open" {
        return Err(AppError::field("resolution", "results.err_resolved"));
    }
    let c = super::ssr::competition(&mut tx, cid)
        .await?
        .ok_or(AppError::NotFound)?;
    let st = match stage {
        Some(s) => super::ssr::stage(&mut tx, s).await?,
        None => None,
    };
    let examiner_stage = st.as_ref().filter(|s| !s.kind.timed());
    let allowed = match examiner_stage {
        Some(s) => crate::grading::ssr::is_chief(&mut tx, s.id, user.id).await?,
        None => user.has(Role::Admin) && user.scopes(&c.unit_path),
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    if upheld
        && let (Some(s), Some(raw)) = (
            examiner_stage,
            score.as_deref().filter(|s| !s.trim().is_empty()),
        )
    {
        let value: f64 = raw
            .trim()
            .parse()
            .map_err(|_| AppError::field("score", "grading.err_score"))?;
        let sub: i64 = sqlx::query_scalar(
            "select submission_id from submission where stage_id = $1 and entrant_id = $2",
        )
        .bind(s.id)
        .bind(entrant)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
        let rubric = crate::grading::ssr::rubric_of(&mut tx, s.id).await?;
        let max: i64 = rubric.max_hundredths();
        let hundredths = (value * 100.0).round() as i64;
        if !(0..=max).contains(&hundredths) {
            return Err(AppError::field("score", "grading.err_score"));
        }
        crate::grading::ssr::arbitrate(&mut tx, user.id, sub, hundredths, &resolution, "appeal")
            .await?;
    }
    sqlx::query("update appeal set status = $1, resolution = $2, resolved_by = $3, resolved_at = $4 where appeal_id = $5")
        .bind(if upheld { "upheld" } else { "rejected" })
        .bind(&resolution)
        .bind(user.id)
        .bind(db::now())
        .bind(appeal)
        .execute(&mut *tx)
        .await?;
    if c.status == Status::Publicity {
        let results = super::results::ssr::compute(&mut tx, &c).await?;
        super::results::ssr::store(&mut tx, cid, &results).await?;
    }
    audit::by(
        &mut tx,
        &user,
        "results_appeal_resolved",
        &format!("competition:{cid}"),
        &format!("{appeal}: {}", if upheld { "upheld" } else { "rejected" }),
        &c.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Appeals a chief examiner may resolve: those on the stages they lead.
#[server(prefix = "/api", endpoint = "chief_appeals")]
pub async fn chief_appeals(stage: i64) -> Result<Vec<AppealRow>, AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_role(Role::Examiner).await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    if !crate::grading::ssr::is_chief(&mut conn, stage, user.id).await? {
        return Err(AppError::NotFound);
    }
    let cid: i64 = sqlx::query_scalar("select competition_id from stage where stage_id = $1")
        .bind(stage)
        .fetch_one(&mut *conn)
        .await?;
    let title: String = sqlx::query_scalar("select title from stage where stage_id = $1")
        .bind(stage)
        .fetch_one(&mut *conn)
        .await?;
    Ok(ssr::appeals(&mut conn, cid, None)
        .await?
        .into_iter()
        .filter(|a| a.stage.as_deref() == Some(title.as_str()))
        .collect())
}

#[server(prefix = "/api", endpoint = "public_results")]
pub async fn public_results(id: i64) -> Result<PublicResultsView, AppError> {
    use crate::server::state::app_state;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let c = super::ssr::competition(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !matches!(c.status, Status::Publicity | Status::Final) {
        return Err(AppError::NotFound);
    }
    let results = super::results::ssr::published(&mut conn, &c)
        .await?
        .ok_or(AppError::NotFound)?;
    let until: Option<i64> =
        sqlx::query_scalar("select appeal_until from competition where competition_id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    Ok(PublicResultsView {
        name: c.name,
        unit: c.unit_name,
        status: c.status,
        appeal_until: until,
        results,
    })
}

#[server(prefix = "/api", endpoint = "award_certificate")]
pub async fn award_certificate(code: String) -> Result<AwardView, AppError> {
    use crate::server::state::app_state;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let row: Option<(String, String, String, String, String, i64)> = sqlx::query_as(
        "select a.code, u.display_name, un.name, c.name, a.title, a.issued_at from award_certificate a \
         join entrant e on e.entrant_id = a.entrant_id join app_user u on u.user_id = e.user_id \
         join unit un on un.unit_id = e.unit_id join competition c on c.competition_id = a.competition_id where a.code = $1",
    )
    .bind(code.trim().to_uppercase())
    .fetch_optional(&mut *conn)
    .await?;
    let (code, holder, unit, competition, title, issued_at) = row.ok_or(AppError::NotFound)?;
    Ok(AwardView {
        code,
        holder,
        unit,
        competition,
        title,
        issued_at,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Pages

fn results_table(r: &Results, show_numbers: bool) -> impl IntoView + use<> {
    let stages = r.stages.clone();
    let rows = r.rows.clone();
    view! {
        <div class="table-wrap"><table class="table results" id="results-table">
            <thead><tr>
                <th>{t("results.rank")}</th>
                {show_numbers.then(|| view! { <th>{t("competition.candidate_no")}</th> })}
                <th>{t("results.name")}</th><th>{t("results.unit")}</th><th>{t("results.total")}</th>
                {stages.iter().map(|s| view! { <th class="small">{format!("{} {}%", s.title, s.weight)}</th> }).collect_view()}
                <th>{t("results.award")}</th>
            </tr></thead>
            <tbody>{rows.into_iter().map(|row| view! {
                <tr class:champion=row.champion>
                    <td>{row.rank}</td>
                    {show_numbers.then(|| view! { <td class="mono">{row.candidate_no.clone()}</td> })}
                    <td>{row.name.clone()}</td>
                    <td class="small">{row.unit.clone()}{row.team.clone().map(|tm| format!(" · {tm}"))}</td>
                    <td><strong>{points(row.total)}</strong></td>
                    {row.stage_scores.iter().map(|v| view! { <td class="small">{v.map(|v| format!("{}%", points(v))).unwrap_or_else(|| "—".into())}</td> }).collect_view()}
                    <td>
                        {row.champion.then(|| view! { <span class="tag tag-ok champion-tag">{t("results.champion")}</span> })}
                        {row.award.map(|a| view! { <span class="tag">{award_label(a)}</span> })}
                    </td>
                </tr>
            }).collect_view()}</tbody>
        </table></div>
    }
}

fn groups_table(
    title: String,
    groups: Vec<GroupRow>,
    id: &'static str,
    award_key: &'static str,
) -> impl IntoView {
    (!groups.is_empty()).then(|| view! {
        <section class="card">
            <h2>{title}</h2>
            <div class="table-wrap"><table class="table" id=id>
                <thead><tr><th>{t("results.rank")}</th><th>{t("results.name")}</th><th>{t("results.members")}</th><th>{t("results.score")}</th><th></th></tr></thead>
                <tbody>{groups.into_iter().map(|g| view! {
                    <tr><td>{g.rank}</td><td>{g.name.clone()}</td><td>{g.members}</td><td>{points(g.score)}</td>
                        <td>{g.award.then(|| view! { <span class="tag tag-ok">{t(award_key)}</span> })}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
    })
}

#[derive(Clone, Copy)]
struct ResultActions {
    rules: ServerAction<SaveResultRules>,
    publish: ServerAction<PublishResults>,
    finalize: ServerAction<FinalizeResults>,
    resolve: ServerAction<ResolveAppeal>,
}

#[component]
pub fn ResultsAdminPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let a = ResultActions {
        rules: ServerAction::new(),
        publish: ServerAction::new(),
        finalize: ServerAction::new(),
        resolve: ServerAction::new(),
    };
    let data = Resource::new(
        move || {
            (
                id(),
                a.rules.version().get(),
                a.publish.version().get(),
                a.finalize.version().get(),
                a.resolve.version().get(),
            )
        },
        |(id, ..)| results_admin(id),
    );
    view! { <Protected role=Role::Admin><ResultsAdminBody a data/></Protected> }
}

#[component]
fn ResultsAdminBody(
    a: ResultActions,
    data: Resource<Result<ResultsAdminView, AppError>>,
) -> impl IntoView {
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => results_admin_view(a, v).into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn results_admin_view(a: ResultActions, v: ResultsAdminView) -> impl IntoView {
    let id = v.card.id.to_string();
    let (id1, id2, id3, id4) = (id.clone(), id.clone(), id.clone(), id.clone());
    let tie_options: Vec<(String, String)> =
        std::iter::once(("time".to_owned(), t("results.tie_time")))
            .chain(v.results.stages.iter().map(|s| {
                (
                    format!("stage:{}", s.id),
                    t_with("results.tie_stage", &[("stage", &s.title)]),
                )
            }))
            .collect();
    let tie_code = |tb: Option<&TieBreak>| match tb {
        Some(TieBreak::TimeUsed) => "time".to_owned(),
        Some(TieBreak::Stage(s)) => format!("stage:{s}"),
        None => String::new(),
    };
    let ties: Vec<String> = (0..3)
        .map(|i| tie_code(v.rules.tie_breaks.get(i)))
        .collect();
    let (mode, n) = match v.rules.award.champions {
        Champions::TopN(n) => ("top", n as u32),
        Champions::TopPercent(p) => ("percent", p),
    };
    let status = v.card.status;
    let champions = v.results.rows.iter().filter(|r| r.champion).count();
    view! {
        <p><a href=format!("/admin/competitions/{}", v.card.id)>{v.card.name.clone()}</a></p>
        <leptos_meta::Title text=t("results.admin_title")/>
        <PageHeader title=format!("{} · {}", v.card.name, t("results.admin_title")) subtitle=t_with("results.summary", &[("n", &v.results.rows.len().to_string()), ("c", &champions.to_string())])>
            <a class="btn btn-small" href=format!("/admin/competitions/{}/results.xlsx", v.card.id) rel="external">{"XLSX"}</a>
            <a class="btn btn-small" href=format!("/admin/competitions/{}/results.csv", v.card.id) rel="external">{"CSV"}</a>
            <a class="btn btn-small" href=format!("/admin/competitions/{}/marks.csv", v.card.id) rel="external">{t("results.marks_csv")}</a>
            {matches!(status, Status::Publicity | Status::Final).then(|| view! { <a class="btn btn-small" href=format!("/results/{}", v.card.id)>{t("results.public_page")}</a> })}
        </PageHeader>
        {(!v.results.pending.is_empty()).then(|| view! {
            <p class="alert alert-error" id="results-pending">{t_with("results.pending", &[("stages", &v.results.pending.join("、"))])}</p>
        })}
        {v.appeal_until.map(|u| view! { <p class="alert">{t_with("results.publicity_until", &[("at", &format_time(u))])}</p> })}
        <section class="card">
            <h2>{t("results.rules")}</h2>
            <ActionFeedback action=a.rules ok_key="results.rules_saved"/>
            <ActionForm action=a.rules attr:class="form form-grid" attr:id="rules-form">
                <input type="hidden" name="id" value=id1/>
                {["tie1", "tie2", "tie3"].into_iter().enumerate().map(|(i, name)| {
                    let opts = tie_options.clone();
                    let current = ties[i].clone();
                    view! {
                        <label>{t_with("results.tie_n", &[("n", &(i + 1).to_string())])}<select name=name>
                            {(i > 0).then(|| view! { <option value="">{"—"}</option> })}
                            {opts.into_iter().map(|(code, label)| { let sel = code == current; view! { <option value=code selected=sel>{label}</option> } }).collect_view()}
                        </select></label>
                    }
                }).collect_view()}
                <label>{t("results.champions")}<select name="champions">
                    <option value="top" selected=mode == "top">{t("results.top_n")}</option>
                    <option value="percent" selected=mode == "percent">{t("results.top_percent")}</option>
                </select></label>
                <label>{t("results.champions_n")}<input name="champions_n" inputmode="numeric" value=n.to_string()/></label>
                <label>{t("results.first")}{" %"}<input name="first" inputmode="numeric" value=v.rules.award.first_percent.to_string()/></label>
                <label>{t("results.second")}{" %"}<input name="second" inputmode="numeric" value=v.rules.award.second_percent.to_string()/></label>
                <label>{t("results.third")}{" %"}<input name="third" inputmode="numeric" value=v.rules.award.third_percent.to_string()/></label>
                <label>{t("results.team_best_of")}<input name="team_best_of" inputmode="numeric" value=v.rules.team_best_of.to_string()/></label>
                <label>{t("results.org_awards")}<input name="org_awards" inputmode="numeric" value=v.rules.org_awards.to_string()/></label>
                <button type="submit" class="btn">{t("results.save_rules")}</button>
            </ActionForm>
        </section>
        <section class="card">
            <h2>{t("results.publish_title")}</h2>
            <ActionFeedback action=a.publish/>
            <ActionFeedback action=a.finalize ok_key="results.finalized"/>
            {matches!(status, Status::Running | Status::Grading).then(|| view! {
                <ActionForm action=a.publish attr:class="form-inline" attr:id="publish-form">
                    <input type="hidden" name="id" value=id2/>
                    <label>{t("results.days")}<input name="days" inputmode="numeric" value="5" size="3"/></label>
                    <button type="submit" class="btn btn-primary" id="publish">{t("results.publish")}</button>
                </ActionForm>
            })}
            {(status == Status::Publicity).then(|| view! {
                <ActionForm action=a.finalize attr:class="inline">
                    <input type="hidden" name="id" value=id3/>
                    <button type="submit" class="btn btn-primary" id="finalize">{t("results.finalize")}</button>
                </ActionForm>
            })}
            {(status == Status::Final).then(|| view! { <p class="alert alert-ok">{t("results.is_final")}</p> })}
            <p class="small muted">{t("results.publish_hint")}</p>
        </section>
        {if v.results.rows.is_empty() {
            view! { <Empty title=t("results.none") hint=t("results.none_hint")/> }.into_any()
        } else {
            results_table(&v.results, true).into_any()
        }}
        {groups_table(t("results.teams"), v.results.teams.clone(), "team-ranking", "results.team_award")}
        {groups_table(t("results.units"), v.results.units.clone(), "unit-ranking", "results.org_award")}
        <section class="card">
            <h2>{t("results.appeals")}</h2>
            <ActionFeedback action=a.resolve ok_key="results.resolved"/>
            {if v.appeals.is_empty() {
                view! { <p class="muted">{t("results.no_appeals")}</p> }.into_any()
            } else {
                view! { <ul class="plain appeals">{v.appeals.into_iter().map(|ap| appeal_item(a.resolve, ap, true)).collect_view()}</ul> }.into_any()
            }}
        </section>
        <section class="card">
            <h2>{t("results.examiner_report")}</h2>
            <div class="table-wrap"><table class="table" id="examiner-report">
                <thead><tr><th>{t("grading.examiner")}</th><th>{t("competition.stage")}</th><th>{t("results.assigned")}</th><th>{t("grading.mean")}</th><th>{t("grading.severity")}</th><th>{t("grading.consistency")}</th><th>{t("results.changed")}</th></tr></thead>
                <tbody>{v.examiners.into_iter().map(|e| view! {
                    <tr><td>{e.name.clone()}<br/><span class="small muted">{e.unit.clone()}</span></td><td>{e.stage.clone()}</td>
                        <td>{format!("{}/{}", e.locked, e.assigned)}</td><td>{e.mean.map(points).unwrap_or_default()}</td>
                        <td>{format!("{:+.2}", e.severity)}</td><td>{format!("{:.2}", e.consistency)}</td><td>{e.changed}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
        <input type="hidden" value=id4/>
    }
}

fn appeal_item(
    resolve: ServerAction<ResolveAppeal>,
    ap: AppealRow,
    can_resolve: bool,
) -> impl IntoView {
    let open = ap.status == "open";
    let id = ap.id.to_string();
    view! {
        <li class="appeal" id=format!("appeal-{}", ap.id)>
            <p><strong>{format!("{} {}", ap.candidate_no, ap.name)}</strong>{ap.stage.clone().map(|s| format!(" · {s}"))}
                {" "}<span class="tag">{t(&format!("results.appeal_{}", ap.status))}</span>
                <span class="small muted">{format!(" {}", format_time(ap.filed_at))}</span></p>
            <p>{ap.reason.clone()}</p>
            {(!ap.resolution.is_empty()).then(|| view! { <p class="small">{t("results.resolution")}{": "}{ap.resolution.clone()}</p> })}
            {(open && can_resolve).then(|| view! {
                <ActionForm action=resolve attr:class="form form-grid resolve-form">
                    <input type="hidden" name="appeal" value=id/>
                    <label>{t("results.decision")}<select name="upheld">
                        <option value="false">{t("results.reject")}</option>
                        <option value="true">{t("results.uphold")}</option>
                    </select></label>
                    <label>{t("results.new_score")}<input name="score" inputmode="decimal"/></label>
                    <label>{t("results.resolution")}<input name="resolution" required maxlength="500"/></label>
                    <button type="submit" class="btn">{t("results.resolve")}</button>
                </ActionForm>
            })}
        </li>
    }
}

#[component]
pub fn PublicResultsPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let data = Resource::new(id, public_results);
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => {
                        let champions: Vec<_> = v.results.rows.iter().filter(|r| r.champion).cloned().collect();
                        view! {
                            <leptos_meta::Title text=format!("{} · {}", v.name, t("results.public_title"))/>
                            <PageHeader title=v.name.clone() subtitle=format!("{} · {}", v.unit, t(if v.status == Status::Final { "results.final_title" } else { "results.public_title" }))/>
                            {(v.status == Status::Publicity).then(|| v.appeal_until.map(|u| view! {
                                <p class="alert" id="publicity-note">{t_with("results.publicity_note", &[("at", &format_time(u))])}</p>
                            }))}
                            {(!champions.is_empty()).then(|| view! {
                                <section class="card champions" id="champions">
                                    <h2>{t("results.champions_title")}</h2>
                                    <ul class="champion-list">{champions.into_iter().map(|r| view! {
                                        <li><strong>{r.name.clone()}</strong><span class="small muted">{format!(" {}", r.unit)}</span></li>
                                    }).collect_view()}</ul>
                                </section>
                            })}
                            {results_table(&v.results, false)}
                            {groups_table(t("results.teams"), v.results.teams.clone(), "team-ranking", "results.team_award")}
                            {groups_table(t("results.units"), v.results.units.clone(), "unit-ranking", "results.org_award")}
                        }.into_any()
                    }
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AwardPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let data = Resource::new(code, award_certificate);
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(a) => view! {
                        <leptos_meta::Title text=a.title.clone()/>
                        <article class="certificate award" id="award">
                            <p class="cert-org">{a.competition.clone()}</p>
                            <h1 class="cert-title">{t("results.certificate")}</h1>
                            <p class="cert-holder"><strong>{a.holder.clone()}</strong>{" "}<span>{a.unit.clone()}</span></p>
                            <p class="cert-award" id="award-title">{t("results.certificate_text")}{" "}<strong>{a.title.clone()}</strong></p>
                            <p class="cert-date">{format_time(a.issued_at)}</p>
                            <p class="cert-code small">{t("results.verify_code")}{" "}<span class="mono" id="award-code">{a.code.clone()}</span>{" · /verify"}</p>
                        </article>
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The published standing of a candidate, on "my competitions": place, awards, certificates, and the appeal form.
pub fn standing_view(
    competition: i64,
    s: MyStanding,
    appeal: ServerAction<FileAppeal>,
    stages: Vec<(i64, String)>,
) -> impl IntoView {
    view! {
        <div class="standing" id=format!("standing-{competition}")>
            <p>{t_with("results.my_rank", &[("rank", &s.rank.to_string()), ("total", &points(s.total))])}
                {s.champion.then(|| view! { <span class="tag tag-ok champion-tag">{t("results.champion")}</span> })}
                {s.award.map(|a| view! { <span class="tag">{award_label(a)}</span> })}
                {" "}<a href=format!("/results/{competition}")>{t("results.public_page")}</a></p>
            {(!s.certificates.is_empty()).then(|| view! {
                <p>{s.certificates.iter().map(|(code, title)| view! { <a class="btn btn-small cert-link" href=format!("/awards/{code}")>{format!("{} {title}", t("results.certificate"))}</a> }).collect_view()}</p>
            })}
            {s.appeals.iter().map(|ap| view! { <p class="small">{t("results.appeals")}{": "}{t(&format!("results.appeal_{}", ap.status))}{(!ap.resolution.is_empty()).then(|| format!(" — {}", ap.resolution))}</p> }).collect_view()}
            {s.appeal_open.then(|| view! {
                <details class="appeal-form"><summary>{t("results.file_appeal")}</summary>
                    <ActionForm action=appeal attr:class="form">
                        <input type="hidden" name="competition" value=competition.to_string()/>
                        <label>{t("competition.stage")}<select name="stage">
                            {stages.iter().map(|(id, title)| view! { <option value=id.to_string()>{title.clone()}</option> }).collect_view()}
                        </select></label>
                        <label>{t("results.appeal_reason")}<textarea name="reason" rows="3" required minlength="10" maxlength="2000"></textarea></label>
                        <button type="submit" class="btn">{t("results.file_appeal")}</button>
                    </ActionForm>
                </details>
            })}
        </div>
    }
}
