//! Results of a competition: every stage's scores (theory and practical from their sittings; examiner stages
//! aggregated from the locked totals, or the chief's arbitration), the weighted total, the ranking with the
//! configured tie-breaks, awards, team and unit rankings; publication for the 公示 period, appeals, the final lock
//! with award certificates, and the exports.

use crate::grading::rules::{self, AwardRule, Champions, TieBreak};
use serde::{Deserialize, Serialize};

/// How a competition ranks and awards, as its admin configured it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    pub tie_breaks: Vec<TieBreak>,
    pub award: AwardRule,
    /// A team's score is the mean of its best this-many members.
    pub team_best_of: usize,
    /// Units named for the organisation award (组织奖).
    pub org_awards: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            tie_breaks: vec![TieBreak::TimeUsed],
            award: AwardRule {
                champions: Champions::TopN(10),
                first_percent: 5,
                second_percent: 10,
                third_percent: 15,
            },
            team_best_of: 3,
            org_awards: 3,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageColumn {
    pub id: i64,
    pub title: String,
    pub kind: super::StageKind,
    pub weight: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub entrant: i64,
    pub candidate_no: String,
    pub name: String,
    pub unit: String,
    pub team: Option<String>,
    pub total: i64,
    pub rank: usize,
    pub champion: bool,
    pub award: Option<rules::Award>,
    /// Per stage, in the order of `Results::stages`: the share of the stage's marks, in hundredths of a percent.
    pub stage_scores: Vec<Option<i64>>,
    pub time_used_s: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub name: String,
    pub members: usize,
    pub score: i64,
    pub rank: usize,
    pub award: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub stages: Vec<StageColumn>,
    pub rows: Vec<ResultRow>,
    pub teams: Vec<GroupRow>,
    pub units: Vec<GroupRow>,
    /// Stages whose marking is not finished (divergences to arbitrate, sittings still open).
    pub pending: Vec<String>,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::competition::ssr::{CompetitionRow, stages};
    use crate::competition::{StageKind, StageStatus};
    use crate::error::AppError;
    use crate::grading::rules::StageSpec;
    use sqlx::{AnyConnection, Row};
    use std::collections::HashMap;

    /// Per entrant: candidate number, name, unit, team, ranking group and its name.
    type Info = (String, String, String, Option<String>, i64, String);

    pub async fn rules_of(conn: &mut AnyConnection, cid: i64) -> Result<Rules, sqlx::Error> {
        let (tie, award): (String, String) = sqlx::query_as(
            "select tie_breaks, award_rule from competition where competition_id = $1",
        )
        .bind(cid)
        .fetch_one(conn)
        .await?;
        let mut r: Rules = serde_json::from_str(&award).unwrap_or_default();
        if let Ok(t) = serde_json::from_str::<Vec<TieBreak>>(&tie)
            && !t.is_empty()
        {
            r.tie_breaks = t;
        }
        Ok(r)
    }

    pub async fn save_rules(
        conn: &mut AnyConnection,
        cid: i64,
        r: &Rules,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "update competition set tie_breaks = $1, award_rule = $2 where competition_id = $3",
        )
        .bind(serde_json::to_string(&r.tie_breaks).unwrap_or_default())
        .bind(serde_json::to_string(r).unwrap_or_default())
        .bind(cid)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Computes the whole results table from the database: one query per kind of score, then pure ranking.
    pub async fn compute(
        conn: &mut AnyConnection,
        c: &CompetitionRow,
    ) -> Result<Results, AppError> {
        let rules_cfg = rules_of(conn, c.id).await?;
        let stage_rows = stages(conn, c.id).await?;
        let entrants = sqlx::query(
            "select e.entrant_id, e.candidate_no, u.display_name, un.name as unit_name, un.path, t.team_id, t.name as team \
             from entrant e join app_user u on u.user_id = e.user_id join unit un on un.unit_id = e.unit_id \
             left join team t on t.team_id = e.team_id where e.competition_id = $1 order by e.entrant_id",
        )
        .bind(c.id)
        .fetch_all(&mut *conn)
        .await?;
        // Units are ranked at the level just below the organiser (cities in a provincial competition).
        let units: HashMap<String, String> = sqlx::query_as::<_, (String, String)>(
            "select path, name from unit where path like $1 || '%'",
        )
        .bind(&c.unit_path)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
        let group_of = |path: &str| -> (i64, String) {
            let rest = path.strip_prefix(&c.unit_path).unwrap_or("");
            match rest.split('/').find(|s| !s.is_empty()) {
                Some(id) => {
                    let p = format!("{}{id}/", c.unit_path);
                    (
                        id.parse().unwrap_or(0),
                        units.get(&p).cloned().unwrap_or_default(),
                    )
                }
                None => (c.unit_id, c.unit_name.clone()),
            }
        };
        // share[stage][entrant] in hundredths of a percent; time used per entrant.
        let mut share: HashMap<i64, HashMap<i64, i64>> = HashMap::new();
        let mut time_used: HashMap<i64, i64> = HashMap::new();
        let mut pending = Vec::new();
        for s in &stage_rows {
            let mut map = HashMap::new();
            match s.kind {
                StageKind::Theory | StageKind::Scenario => {
                    let rows: Vec<(i64, Option<i64>, i64, Option<i64>)> = sqlx::query_as(
                        "select entrant_id, score, max_score, submitted_at from exam_sitting where stage_id = $1",
                    )
                    .bind(s.id)
                    .fetch_all(&mut *conn)
                    .await?;
                    if rows.iter().any(|r| r.3.is_none()) || s.status != StageStatus::Closed {
                        pending.push(s.title.clone());
                    }
                    for (e, score, max, submitted) in rows {
                        if let (Some(score), Some(at)) = (score, submitted) {
                            map.insert(e, pct(score, max));
                            if let Some(st) = s.started_at {
                                *time_used.entry(e).or_default() += (at - st).max(0);
                            }
                        }
                    }
                }
                StageKind::Onsite | StageKind::Casefile => {
                    let rubric = crate::grading::ssr::rubric_of(conn, s.id)
                        .await
                        .unwrap_or_default();
                    let max: i64 = rubric.max_hundredths();
                    let policy = crate::grading::ssr::policy(conn, s.id).await?;
                    let totals = sqlx::query(
                        "select s.entrant_id, s.submission_id, a.total from submission s join assignment a \
                         on a.submission_id = s.submission_id where s.stage_id = $1 order by s.submission_id",
                    )
                    .bind(s.id)
                    .fetch_all(&mut *conn)
                    .await?;
                    let arbitrated: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
                        "select r.submission_id, r.score from arbitration r join submission s on s.submission_id = r.submission_id \
                         where s.stage_id = $1",
                    )
                    .bind(s.id)
                    .fetch_all(&mut *conn)
                    .await?
                    .into_iter()
                    .collect();
                    let mut per: HashMap<i64, (i64, Vec<Option<i64>>)> = HashMap::new();
                    for r in &totals {
                        let sub: i64 = r.try_get("submission_id")?;
                        per.entry(sub)
                            .or_insert_with(|| (r.try_get("entrant_id").unwrap_or(0), Vec::new()))
                            .1
                            .push(r.try_get("total")?);
                    }
                    let mut incomplete = per.is_empty();
                    for (sub, (entrant, ts)) in per {
                        let score = match arbitrated.get(&sub) {
                            Some(a) => Some(*a),
                            None if ts.iter().any(Option::is_none) => None,
                            None => {
                                let ts: Vec<i64> = ts.into_iter().flatten().collect();
                                (!rules::is_divergent(&ts, policy.divergence))
                                    .then(|| rules::aggregate(policy.aggregation, &ts))
                                    .flatten()
                            }
                        };
                        match score {
                            Some(v) => {
                                map.insert(entrant, pct(v, max));
                            }
                            None => incomplete = true,
                        }
                    }
                    if incomplete {
                        pending.push(s.title.clone());
                    }
                }
            }
            share.insert(s.id, map);
        }
        let specs: Vec<StageSpec> = stage_rows
            .iter()
            .map(|s| StageSpec {
                stage: s.id,
                weight: s.weight,
                max: 10_000,
            })
            .collect();
        let mut cands = Vec::with_capacity(entrants.len());
        let mut info: HashMap<i64, Info> = HashMap::new();
        for e in &entrants {
            let id: i64 = e.try_get("entrant_id")?;
            let path: String = e.try_get("path")?;
            let (group, group_name) = group_of(&path);
            cands.push(rules::Candidate {
                entrant: id,
                team: e.try_get("team_id")?,
                unit: group,
                scores: stage_rows
                    .iter()
                    .filter_map(|s| {
                        share
                            .get(&s.id)
                            .and_then(|m| m.get(&id))
                            .map(|v| (s.id, *v))
                    })
                    .collect(),
                time_used_s: time_used.get(&id).copied().unwrap_or(0),
            });
            info.insert(
                id,
                (
                    e.try_get("candidate_no")?,
                    e.try_get("display_name")?,
                    e.try_get("unit_name")?,
                    e.try_get("team")?,
                    group,
                    group_name,
                ),
            );
        }
        Ok(assemble(
            &stage_rows,
            &specs,
            &cands,
            &info,
            &rules_cfg,
            pending,
        ))
    }

    fn pct(score: i64, max: i64) -> i64 {
        if max <= 0 {
            0
        } else {
            ((i128::from(score) * 10_000 + i128::from(max) / 2) / i128::from(max)) as i64
        }
    }

    fn assemble(
        stage_rows: &[crate::competition::ssr::StageRow],
        specs: &[StageSpec],
        cands: &[rules::Candidate],
        info: &HashMap<i64, Info>,
        cfg: &Rules,
        pending: Vec<String>,
    ) -> Results {
        let ranked = rules::rank(cands, specs, &cfg.tie_breaks);
        let awards: HashMap<i64, (bool, Option<rules::Award>)> = rules::awards(&ranked, &cfg.award)
            .into_iter()
            .map(|(e, champ, a)| (e, (champ, a)))
            .collect();
        let by_id: HashMap<i64, &rules::Candidate> = cands.iter().map(|c| (c.entrant, c)).collect();
        let rows = ranked
            .iter()
            .map(|r| {
                let c = by_id[&r.entrant];
                let (no, name, unit, team, ..) = info[&r.entrant].clone();
                let (champion, award) = awards.get(&r.entrant).copied().unwrap_or((false, None));
                ResultRow {
                    entrant: r.entrant,
                    candidate_no: no,
                    name,
                    unit,
                    team,
                    total: r.total,
                    rank: r.rank,
                    champion,
                    award,
                    stage_scores: stage_rows
                        .iter()
                        .map(|s| c.scores.iter().find(|(id, _)| *id == s.id).map(|(_, v)| *v))
                        .collect(),
                    time_used_s: c.time_used_s,
                }
            })
            .collect();
        let team_names: HashMap<i64, String> = cands
            .iter()
            .filter_map(|c| Some((c.team?, info[&c.entrant].3.clone()?)))
            .collect();
        let unit_names: HashMap<i64, String> = cands
            .iter()
            .map(|c| (c.unit, info[&c.entrant].5.clone()))
            .collect();
        let group = |g: rules::GroupRanked, names: &HashMap<i64, String>, award: bool| GroupRow {
            name: names.get(&g.group).cloned().unwrap_or_default(),
            members: g.members,
            score: g.score,
            rank: g.rank,
            award,
        };
        Results {
            stages: stage_rows
                .iter()
                .map(|s| StageColumn {
                    id: s.id,
                    title: s.title.clone(),
                    kind: s.kind,
                    weight: s.weight,
                })
                .collect(),
            rows,
            teams: rules::team_ranking(cands, specs, cfg.team_best_of)
                .into_iter()
                .map(|g| group(g, &team_names, false))
                .collect(),
            units: rules::unit_ranking(cands, specs)
                .into_iter()
                .map(|g| {
                    let award = g.rank <= cfg.org_awards;
                    group(g, &unit_names, award)
                })
                .collect(),
            pending,
        }
    }

    /// Stores the computed table as the published results (公示), replacing any earlier publication.
    pub async fn store(conn: &mut AnyConnection, cid: i64, r: &Results) -> Result<(), sqlx::Error> {
        sqlx::query("delete from result where competition_id = $1")
            .bind(cid)
            .execute(&mut *conn)
            .await?;
        for row in &r.rows {
            sqlx::query(
                "insert into result (competition_id, entrant_id, total, rank, champion, award, stage_scores) \
                 values ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(cid)
            .bind(row.entrant)
            .bind(row.total)
            .bind(row.rank as i64)
            .bind(i64::from(row.champion))
            .bind(row.award.map(award_code))
            .bind(serde_json::to_string(&row.stage_scores).unwrap_or_default())
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    pub fn award_code(a: rules::Award) -> &'static str {
        match a {
            rules::Award::First => "first",
            rules::Award::Second => "second",
            rules::Award::Third => "third",
        }
    }

    /// Issues the award certificates of a final result: 执法能手 and the prizes, each with a code the public
    /// verification page knows.
    pub async fn issue_certificates(
        conn: &mut AnyConnection,
        cid: i64,
        r: &Results,
        titles: impl Fn(bool, Option<rules::Award>) -> Vec<String>,
    ) -> Result<usize, sqlx::Error> {
        sqlx::query("delete from award_certificate where competition_id = $1")
            .bind(cid)
            .execute(&mut *conn)
            .await?;
        let now = crate::server::db::now();
        let mut n = 0;
        for row in &r.rows {
            for title in titles(row.champion, row.award) {
                let code = crate::study::ssr::certificate_code();
                sqlx::query(
                    "insert into award_certificate (code, competition_id, entrant_id, title, issued_at) values ($1, $2, $3, $4, $5)",
                )
                .bind(&code)
                .bind(cid)
                .bind(row.entrant)
                .bind(&title)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// The results table as published: candidates named, for the public page and the candidate's own view.
    pub async fn published(
        conn: &mut AnyConnection,
        c: &CompetitionRow,
    ) -> Result<Option<Results>, AppError> {
        let n: i64 = sqlx::query_scalar(
            "select cast(count(*) as bigint) from result where competition_id = $1",
        )
        .bind(c.id)
        .fetch_one(&mut *conn)
        .await?;
        if n == 0 {
            return Ok(None);
        }
        // The stored ranks and awards stand; stage columns and groups are recomputed from the same data.
        let mut fresh = compute(conn, c).await?;
        let stored: HashMap<i64, (i64, i64, i64, Option<String>)> = sqlx::query_as::<
            _,
            (i64, i64, i64, i64, Option<String>),
        >(
            "select entrant_id, total, rank, champion, award from result where competition_id = $1",
        )
        .bind(c.id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(e, t, r, ch, a)| (e, (t, r, ch, a)))
        .collect();
        fresh.rows.retain(|r| stored.contains_key(&r.entrant));
        for row in &mut fresh.rows {
            let (t, r, ch, a) = stored[&row.entrant].clone();
            row.total = t;
            row.rank = r as usize;
            row.champion = ch != 0;
            row.award = a.as_deref().and_then(|a| match a {
                "first" => Some(rules::Award::First),
                "second" => Some(rules::Award::Second),
                "third" => Some(rules::Award::Third),
                _ => None,
            });
        }
        fresh.rows.sort_by_key(|r| (r.rank, r.entrant));
        Ok(Some(fresh))
    }
}
