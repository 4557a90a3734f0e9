//! Scenario exercises for trainees: the catalogue by industry, the player with its evidence console, practice
//! feedback, and the debrief. Attempt state lives on the server; every form works without JavaScript.

pub mod chart;
#[cfg(feature = "ssr")]
pub mod ssr;

use crate::accounts::Protected;
use crate::error::AppError;
use crate::i18n::{t, t_with};
use crate::ui::{ActionFeedback, Empty, PageHeader};
use chart::{Radar, SeriesChart};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest 笔录 accepted, in characters.
pub const RECORD_MAX: usize = 5000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlayView {
    pub attempt: i64,
    pub scenario: String,
    pub title: String,
    pub industry_name: String,
    pub act_date: String,
    pub practice: bool,
    pub finished: bool,
    pub step_no: usize,
    pub step: Option<StepView>,
    pub documents: Vec<DocView>,
    pub briefing_html: String,
    pub evidence: Vec<EvidenceView>,
    pub feedback: Option<FeedbackView>,
    pub can_back: bool,
    /// The points so far: in practice mode, and once finished.
    pub running_score: Option<u32>,
    pub max_score: u32,
    pub seconds_left: Option<i64>,
    pub debrief: Option<Debrief>,
    /// A competition's practical attempt, ended, whose results the organisers have not released yet.
    pub withheld: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub id: String,
    /// choice | multi | review | record | penalty
    pub kind: String,
    pub title: String,
    pub prompt_html: String,
    /// In this attempt's order, keyed by position: the key says nothing about the option.
    pub options: Vec<OptionView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptionView {
    pub key: String,
    pub text: String,
    /// For review items: the title of the document the item is about.
    pub document: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocView {
    pub id: String,
    pub title: String,
    pub html: String,
    pub chart: Option<Chart>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub unit: String,
    pub limit: Option<f64>,
    pub labels: Vec<String>,
    pub series: Vec<(String, Vec<f64>)>,
    /// Periods the trainee marked, as first and last point.
    pub marks: Vec<(usize, usize)>,
    /// Known anomalies: only in the debrief.
    pub anomalies: Vec<(usize, usize, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidenceView {
    pub title: String,
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedbackView {
    pub step_title: String,
    pub kind: String,
    pub items: Vec<FeedbackItem>,
    pub earned: Vec<(String, u32)>,
    /// "cap" or "end" when the step was a critical error.
    pub critical: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedbackItem {
    /// good | partial | bad | missed | critical
    pub verdict: String,
    pub text: String,
    pub note: String,
    pub basis: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Debrief {
    pub ending: Option<EndingView>,
    pub model_ending: Option<EndingView>,
    pub total: u32,
    pub max: u32,
    pub critical: Option<CriticalView>,
    pub dims: Vec<DimView>,
    pub path: Vec<PathRow>,
    pub marks: Vec<MarkView>,
    pub lessons: Vec<(String, String)>,
    pub timed_out: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndingView {
    pub title: String,
    pub qualification: String,
    pub penalty: String,
    pub html: String,
    pub basis: Vec<String>,
    pub model: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriticalView {
    pub step_title: String,
    pub choice: String,
    pub feedback: String,
    pub ends: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DimView {
    pub key: String,
    pub mine: u32,
    pub max: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathRow {
    pub step_title: String,
    pub yours: Option<String>,
    pub model: Option<String>,
    pub points: Option<u32>,
    pub best: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarkView {
    pub document: DocView,
    pub found: usize,
    pub missed: usize,
    pub false_alarms: usize,
}

/// The fields of the step form, whichever kind the step is.
#[derive(Clone, Debug, Default)]
pub struct StepForm {
    pub choice: Option<String>,
    pub pick: Option<BTreeMap<String, String>>,
    pub text: Option<String>,
    pub amount: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    pub industries: Vec<IndustryGroup>,
    pub history: Vec<HistoryRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndustryGroup {
    pub id: String,
    pub name: String,
    pub scenarios: Vec<ScenarioCard>,
    /// Scenarios of this industry the trainee has finished at least once.
    pub done: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioCard {
    pub id: String,
    pub title: String,
    pub act_date: String,
    pub difficulty: u8,
    pub minutes: u32,
    pub max_score: u32,
    pub best: Option<i64>,
    pub attempts: usize,
    pub open: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub attempt: i64,
    pub scenario: String,
    pub title: String,
    pub practice: bool,
    pub started_at: i64,
    pub finished: bool,
    pub score: Option<i64>,
    pub max_score: i64,
}

#[cfg(feature = "ssr")]
mod load {
    use super::ssr;
    use crate::content::engine::State;
    use crate::content::model::Scenario;
    use crate::error::AppError;
    use crate::server::attempts::{Attempt, SaveError};
    use crate::server::auth::CurrentUser;
    use crate::server::{content_store, db};
    use sqlx::AnyConnection;

    /// The caller's own attempt with its scenario version and replayed state. Someone else's attempt is "not
    /// found", so attempt ids reveal nothing. An open attempt past its deadline is closed here, on the server's
    /// clock, with what was answered before it.
    pub async fn own(
        conn: &mut AnyConnection,
        user: &CurrentUser,
        id: i64,
    ) -> Result<(Attempt, Scenario, State), AppError> {
        let mut attempt = crate::server::attempts::load(conn, id)
            .await?
            .filter(|a| a.user_id == user.id && a.status != "abandoned")
            .ok_or(AppError::NotFound)?;
        let body = content_store::version_body(conn, attempt.version_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let s = ssr::parse(&body)?;
        let state = attempt
            .state(&s)
            .map_err(|e| AppError::internal("attempt replay", e))?;
        if attempt.status == "open" && attempt.expired(db::now()) {
            match attempt.save(conn, &s, &state, true).await {
                Ok(()) | Err(SaveError::Stale) => {}
                Err(SaveError::Db(e)) => return Err(e.into()),
            }
            attempt = crate::server::attempts::load(conn, id)
                .await?
                .ok_or(AppError::NotFound)?;
        }
        Ok((attempt, s, state))
    }

    /// Lets `change` edit the marks of the caller's open attempt, then saves them.
    pub async fn edit_marks(
        id: i64,
        change: impl FnOnce(
            &mut Vec<crate::content::engine::PeriodMark>,
            &Scenario,
        ) -> Result<(), AppError>,
    ) -> Result<(), AppError> {
        let user = crate::server::auth::require_user().await?;
        let state = crate::server::state::app_state()?;
        let mut conn = state.pool.acquire().await?;
        let (mut a, s, st) = own(&mut conn, &user, id).await?;
        if a.status != "open" {
            return Err(AppError::field("mark", "play.err_finished"));
        }
        change(&mut a.marks, &s)?;
        saved(a.save(&mut conn, &s, &st, false).await)
    }

    pub fn saved(r: Result<(), SaveError>) -> Result<(), AppError> {
        match r {
            Ok(()) => Ok(()),
            Err(SaveError::Stale) => Err(AppError::field("step", "play.err_stale")),
            Err(SaveError::Db(e)) => Err(e.into()),
        }
    }
}

#[server(prefix = "/api", endpoint = "get_attempt")]
pub async fn get_attempt(id: i64) -> Result<PlayView, AppError> {
    use crate::content::model::LessonMeta;
    use crate::server::{auth, content_store, db, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let (attempt, s, st) = load::own(&mut conn, &user, id).await?;
    let laws = content_store::laws(&mut conn).await?;
    let industry_name = crate::library::ssr_industries(&mut conn)
        .await?
        .into_iter()
        .find(|(i, _)| *i == s.industry)
        .map(|(_, n)| n)
        .unwrap_or_default();
    let debrief = if attempt.status == "finished" {
        // What to study next: the scenario's own lessons, lessons on its industry, then lessons on the tracks of
        // the dimensions where the attempt was weak.
        #[derive(serde::Deserialize)]
        struct StoredLesson {
            meta: LessonMeta,
        }
        let lessons: Vec<LessonMeta> =
            content_store::visible_all(&mut conn, "lesson", &user.unit_path)
                .await?
                .iter()
                .filter_map(|b| serde_json::from_str::<StoredLesson>(b).ok())
                .map(|l| l.meta)
                .collect();
        let weak = ssr::weak_dimensions(&s, &st);
        let tracks: Vec<&str> = weak
            .iter()
            .map(|d| if d == "law" { "law" } else { "evidence" })
            .collect();
        let mut picked: Vec<(String, String)> = Vec::new();
        let rank = |l: &LessonMeta| {
            if s.lessons.contains(&l.id) {
                0
            } else if l.industries.contains(&s.industry) {
                1
            } else if tracks.contains(&l.track.as_str()) {
                2
            } else {
                3
            }
        };
        let mut ranked: Vec<&LessonMeta> = lessons.iter().filter(|l| rank(l) < 3).collect();
        ranked.sort_by_key(|l| rank(l));
        for l in ranked.into_iter().take(4) {
            picked.push((l.id.clone(), l.title.clone()));
        }
        let timed_out = !st.finished;
        Some(ssr::debrief(
            &s,
            &st,
            &attempt.marks,
            &laws,
            picked,
            timed_out,
        ))
    } else {
        None
    };
    // A competition's practical stage shows nothing of the result until the organisers release it.
    let withheld = match attempt.stage_id {
        Some(stage) if attempt.status == "finished" => {
            !crate::competition::ssr::stage(&mut conn, stage)
                .await?
                .is_some_and(|s| s.released)
        }
        _ => false,
    };
    let mut view = ssr::play_view(
        &s,
        &attempt,
        &st,
        &laws,
        industry_name,
        if withheld { None } else { debrief },
        db::now(),
    );
    if withheld {
        view.withheld = true;
        view.running_score = None;
        view.evidence = Vec::new();
    }
    Ok(view)
}

/// Starts an attempt on the published version of a scenario and opens it.
#[server(prefix = "/api", endpoint = "start_attempt")]
pub async fn start_attempt(scenario: String, mode: String) -> Result<i64, AppError> {
    use crate::server::attempts::{self, Mode};
    use crate::server::{auth, content_store, db, state::app_state};
    let user = auth::require_user().await?;
    let mode = Mode::parse(&mode).ok_or(AppError::field("mode", "play.err_mode"))?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    // The viewer must be allowed to see it; the attempt then keeps that exact version.
    content_store::visible_one(&mut conn, "scenario", &scenario, &user.unit_path)
        .await?
        .ok_or(AppError::NotFound)?;
    let (version_id, body) = content_store::published(&mut conn, "scenario", &scenario)
        .await?
        .ok_or(AppError::NotFound)?;
    let s = ssr::parse(&body)?;
    attempts::abandon_open(&mut conn, user.id, &scenario).await?;
    let deadline = (mode == Mode::Exam).then(|| db::now() + i64::from(s.minutes) * 60);
    let id = attempts::create(
        &mut conn,
        user.id,
        &scenario,
        version_id,
        s.max_score,
        mode,
        None,
        deadline,
    )
    .await?;
    leptos_axum::redirect(&format!("/attempts/{id}"));
    Ok(id)
}

/// Takes the current step. `step` names the step the form was shown for, so a form submitted twice, or from a
/// stale tab, is refused instead of being applied to a later step.
#[server(prefix = "/api", endpoint = "take_step")]
pub async fn take_step(
    attempt: i64,
    step: String,
    choice: Option<String>,
    pick: Option<BTreeMap<String, String>>,
    text: Option<String>,
    amount: Option<String>,
) -> Result<(), AppError> {
    use crate::content::engine;
    use crate::server::{auth, db, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let (mut a, s, st) = load::own(&mut conn, &user, attempt).await?;
    if a.status != "open" {
        return Err(AppError::field(
            "step",
            if a.expired(db::now()) {
                "play.err_time_up"
            } else {
                "play.err_finished"
            },
        ));
    }
    if st.at != step {
        return Err(AppError::field("step", "play.err_stale"));
    }
    let form = StepForm {
        choice,
        pick,
        text,
        amount,
    };
    let action = ssr::action_from_form(&s, &st, a.seed, &form)?;
    let next = engine::apply(&s, &st, &action).map_err(|e| AppError::internal("engine", e))?;
    a.actions.push(action);
    load::saved(a.save(&mut conn, &s, &next, false).await)
}

/// Steps back one action, where the current step allows it.
#[server(prefix = "/api", endpoint = "step_back")]
pub async fn step_back(attempt: i64, step: String) -> Result<(), AppError> {
    use crate::content::engine;
    use crate::server::{auth, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let (mut a, s, st) = load::own(&mut conn, &user, attempt).await?;
    let allowed = a.status == "open"
        && st.at == step
        && !a.actions.is_empty()
        && s.step.iter().any(|x| x.id == st.at && x.back);
    if !allowed {
        return Err(AppError::field("step", "play.err_no_back"));
    }
    a.actions.pop();
    let prev =
        engine::replay(&s, a.seed, &a.actions).map_err(|e| AppError::internal("engine", e))?;
    load::saved(a.save(&mut conn, &s, &prev, false).await)
}

/// Marks a period of a time series as anomalous (first and last point, either order).
#[server(prefix = "/api", endpoint = "mark_period")]
pub async fn mark_period(
    attempt: i64,
    document: String,
    from: usize,
    to: usize,
) -> Result<(), AppError> {
    use crate::content::engine::PeriodMark;
    use crate::content::model::DocumentKind;
    load::edit_marks(attempt, |marks, s| {
        let doc = s
            .document
            .iter()
            .find(|d| d.id == document && d.kind == DocumentKind::Timeseries)
            .ok_or(AppError::NotFound)?;
        let n = doc.series.iter().map(|x| x.values.len()).max().unwrap_or(0);
        if from >= n || to >= n {
            return Err(AppError::field("mark", "play.err_period"));
        }
        if marks.iter().filter(|m| m.document == document).count() >= 20 {
            return Err(AppError::field("mark", "play.err_too_many_marks"));
        }
        marks.push(PeriodMark {
            document,
            from: from.min(to),
            to: from.max(to),
        });
        Ok(())
    })
    .await
}

/// Removes one marked period: the `index`-th of those on `document`.
#[server(prefix = "/api", endpoint = "unmark_period")]
pub async fn unmark_period(attempt: i64, document: String, index: usize) -> Result<(), AppError> {
    load::edit_marks(attempt, |marks, _| {
        let position = marks
            .iter()
            .enumerate()
            .filter(|(_, m)| m.document == document)
            .nth(index)
            .map(|(i, _)| i)
            .ok_or(AppError::NotFound)?;
        marks.remove(position);
        Ok(())
    })
    .await
}

/// The catalogue by industry with the caller's best scores, and their attempt history.
#[server(prefix = "/api", endpoint = "scenario_catalogue")]
pub async fn scenario_catalogue() -> Result<Catalogue, AppError> {
    use crate::server::{attempts, auth, content_store, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let scenarios: Vec<crate::content::model::Scenario> =
        content_store::visible_all(&mut conn, "scenario", &user.unit_path)
            .await?
            .iter()
            .filter_map(|b| ssr::parse(b).ok())
            .collect();
    let mine = attempts::of_user(&mut conn, user.id).await?;
    let industries = crate::library::ssr_industries(&mut conn).await?;
    let title_of = |key: &str| {
        scenarios
            .iter()
            .find(|s| s.id == key)
            .map(|s| s.title.clone())
            .unwrap_or_else(|| key.to_owned())
    };
    let groups = industries
        .into_iter()
        .map(|(id, name)| {
            let cards: Vec<ScenarioCard> = scenarios
                .iter()
                .filter(|s| s.industry == id)
                .map(|s| {
                    let of_this: Vec<&attempts::Attempt> =
                        mine.iter().filter(|a| a.scenario_key == s.id).collect();
                    ScenarioCard {
                        id: s.id.clone(),
                        title: s.title.clone(),
                        act_date: s.act_date.clone(),
                        difficulty: s.difficulty,
                        minutes: s.minutes,
                        max_score: s.max_score,
                        best: of_this
                            .iter()
                            .filter(|a| a.status == "finished")
                            .filter_map(|a| a.score)
                            .max(),
                        attempts: of_this.len(),
                        open: of_this
                            .iter()
                            .find(|a| a.status == "open" && a.stage_id.is_none())
                            .map(|a| a.id),
                    }
                })
                .collect();
            IndustryGroup {
                done: cards.iter().filter(|c| c.best.is_some()).count(),
                id,
                name,
                scenarios: cards,
            }
        })
        .collect();
    Ok(Catalogue {
        industries: groups,
        history: mine
            .iter()
            .filter(|a| a.stage_id.is_none())
            .take(50)
            .map(|a| HistoryRow {
                attempt: a.id,
                scenario: a.scenario_key.clone(),
                title: title_of(&a.scenario_key),
                practice: a.mode == attempts::Mode::Practice,
                started_at: a.started_at,
                finished: a.status == "finished",
                score: a.score,
                max_score: a.max_score,
            })
            .collect(),
    })
}

// ------------------------------------------------------------------------------------------------- pages

#[component]
pub fn ScenariosPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let data = Resource::new(|| (), |_| scenario_catalogue());
    view! { <Protected><ScenariosBody data/></Protected> }
}

#[component]
fn ScenariosBody(data: Resource<Result<Catalogue, AppError>>) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("play.catalogue")/>
        <PageHeader title=t("play.catalogue") subtitle=t("play.catalogue_hint")/>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => view! { <CatalogueView c/> }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CatalogueView(c: Catalogue) -> impl IntoView {
    let total: usize = c.industries.iter().map(|g| g.scenarios.len()).sum();
    let done: usize = c.industries.iter().map(|g| g.done).sum();
    let history = c.history.clone();
    let waiting: Vec<String> = c
        .industries
        .iter()
        .filter(|g| g.scenarios.is_empty())
        .map(|g| g.name.clone())
        .collect();
    view! {
        <p class="muted">{t_with("play.progress_all", &[("done", &done.to_string()), ("n", &total.to_string())])}</p>
        <div class="industry-grid">
            {c.industries.iter().filter(|g| !g.scenarios.is_empty()).cloned().map(|g| {
                let n = g.scenarios.len();
                view! {
                    <section class="card industry" id=format!("industry-{}", g.id)>
                        <h2 class="industry-name">{g.name.clone()}
                            <span class="tag">{t_with("play.industry_done", &[("done", &g.done.to_string()), ("n", &n.to_string())])}</span>
                        </h2>
                        <ul class="scenario-list">
                            {g.scenarios.into_iter().map(|s| view! {
                                <li class="scenario-item">
                                    <a href=format!("/scenarios/{}", s.id) class="scenario-title">{s.title.clone()}</a>
                                    <span class="muted small">
                                        {format!("{} · ", s.act_date)}
                                        {t_with("play.difficulty", &[("n", &s.difficulty.to_string())])}
                                        {" · "}{t_with("lesson.minutes", &[("n", &s.minutes.to_string())])}
                                    </span>
                                    <span class="scenario-best">
                                        {match s.best {
                                            Some(b) => view! { <span class="tag tag-ok">{t_with("play.best", &[("n", &b.to_string()), ("max", &s.max_score.to_string())])}</span> }.into_any(),
                                            None => view! { <span class="tag">{t("play.not_done")}</span> }.into_any(),
                                        }}
                                        {s.open.map(|id| view! { <a class="tag tag-warn" href=format!("/attempts/{id}")>{t("play.resume")}</a> })}
                                    </span>
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                }
            }).collect_view()}
        </div>
        {(!waiting.is_empty()).then(|| view! {
            <section class="card industry-waiting">
                <h2 class="industry-name">{t("play.industry_none")}</h2>
                <p>{waiting.into_iter().map(|name| view! { <span class="tag">{name}</span> }).collect_view()}</p>
            </section>
        })}
        <h2>{t("play.history")}</h2>
        <HistoryTable rows=history/>
    }
}

#[component]
fn HistoryTable(rows: Vec<HistoryRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <Empty title=t("play.history_empty") hint=t("play.history_empty_hint")/> }
            .into_any();
    }
    view! {
        <div class="table-wrap"><table class="table">
            <thead><tr>
                <th>{t("play.col_scenario")}</th><th>{t("play.col_mode")}</th><th>{t("play.col_started")}</th>
                <th>{t("play.col_result")}</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr>
                        <td><a href=format!("/attempts/{}", r.attempt)>{r.title.clone()}</a></td>
                        <td class="nowrap">{t(if r.practice { "play.mode_practice" } else { "play.mode_exam" })}</td>
                        <td>{crate::ui::format_time(r.started_at)}</td>
                        <td>{match (r.finished, r.score) {
                            (true, Some(n)) => format!("{n} / {}", r.max_score),
                            _ => t("play.in_progress"),
                        }}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}

/// The two ways to start a scenario, shown on its briefing page.
#[component]
pub fn StartForms(scenario: String, resume: Option<i64>) -> impl IntoView {
    let start = ServerAction::<StartAttempt>::new();
    let exam = scenario.clone();
    view! {
        <section class="card start">
            <h2>{t("play.start_title")}</h2>
            {resume.map(|id| view! {
                <p class="alert alert-info">{t("play.resume_hint")}" "<a href=format!("/attempts/{id}")>{t("play.resume")}</a></p>
            })}
            <ActionFeedback action=start/>
            <div class="start-modes">
                <ActionForm action=start attr:class="start-mode">
                    <input type="hidden" name="scenario" value=scenario/>
                    <input type="hidden" name="mode" value="practice"/>
                    <p class="small">{t("play.practice_hint")}</p>
                    <button type="submit" class="btn btn-primary" id="start-practice">{t("play.start_practice")}</button>
                </ActionForm>
                <ActionForm action=start attr:class="start-mode">
                    <input type="hidden" name="scenario" value=exam/>
                    <input type="hidden" name="mode" value="exam"/>
                    <p class="small">{t("play.exam_hint")}</p>
                    <button type="submit" class="btn" id="start-exam">{t("play.start_exam")}</button>
                </ActionForm>
            </div>
        </section>
    }
}

#[component]
pub fn AttemptPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let take = ServerAction::<TakeStep>::new();
    let back = ServerAction::<StepBack>::new();
    let mark = ServerAction::<MarkPeriod>::new();
    let unmark = ServerAction::<UnmarkPeriod>::new();
    let view_data = Resource::new(
        move || {
            (
                id(),
                take.version().get(),
                back.version().get(),
                mark.version().get(),
                unmark.version().get(),
            )
        },
        |(id, ..)| get_attempt(id),
    );
    let actions = Actions {
        take,
        back,
        mark,
        unmark,
    };
    view! { <Protected><AttemptBody actions view_data/></Protected> }
}

#[component]
fn AttemptBody(actions: Actions, view_data: Resource<Result<PlayView, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(v) => view! { <Player v actions/> }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    take: ServerAction<TakeStep>,
    back: ServerAction<StepBack>,
    mark: ServerAction<MarkPeriod>,
    unmark: ServerAction<UnmarkPeriod>,
}

fn dim_label(key: &str) -> String {
    t(&format!("dim.{key}"))
}

#[component]
fn Player(v: PlayView, actions: Actions) -> impl IntoView {
    let mode_tag = if v.practice {
        view! { <span class="tag tag-ok">{t("play.mode_practice")}</span> }
    } else {
        view! { <span class="tag tag-warn">{t("play.mode_exam")}</span> }
    };
    let subtitle = format!("{} · {}", v.industry_name, v.act_date);
    let header = view! {
        <leptos_meta::Title text=crate::ui::rcdata_text(&v.title)/>
        <PageHeader title=v.title.clone() subtitle=subtitle>
            {mode_tag}
            {v.running_score.map(|n| view! { <span class="tag score-tag" id="running-score">{t_with("play.score", &[("n", &n.to_string()), ("max", &v.max_score.to_string())])}</span> })}
        </PageHeader>
    };
    if v.withheld {
        return view! {
            {header}
            <section class="card" id="withheld">
                <h2>{t("play.withheld_title")}</h2>
                <p>{t("play.withheld")}</p>
                <p><a class="btn" href="/competitions">{t("competition.mine_title")}</a></p>
            </section>
        }
        .into_any();
    }
    if let Some(d) = v.debrief.clone() {
        return view! {
            {header}
            <DebriefView d scenario=v.scenario.clone() evidence=v.evidence.clone()/>
        }
        .into_any();
    }
    // Errors of plain (no-JavaScript) form posts come back through the redirect, and the actions' feedback
    // shows them on the server-rendered page as it does in the browser.
    let attempt = v.attempt;
    view! {
        {header}
        {v.seconds_left.map(|s| view! { <TimeLeft seconds=s/> })}
        <div class="play">
            <div class="play-main">
                {v.feedback.clone().map(|f| view! { <FeedbackCard f/> })}
                // Keyed by step: the next step gets fresh inputs (a rebuilt DOM would keep the last step's ticks),
                // while a refused submission keeps what the trainee entered.
                <For each=move || v.step.clone() key=|step| step.id.clone() let:step>{
                    let step_id = step.id.clone();
                    let (data_step, form_step) = (step.id.clone(), step.id.clone());
                    let title = step.title.clone();
                    let prompt = step.prompt_html.clone();
                    view! {
                        <section class="card step" id="step" data-step=data_step>
                            <p class="muted small step-no">{t_with("play.step_no", &[("n", &v.step_no.to_string())])}</p>
                            <h2>{title}</h2>
                            <div class="prose prompt" inner_html=prompt></div>
                            <ActionFeedback action=actions.take/>
                            <ActionFeedback action=actions.back/>
                            <ActionForm action=actions.take attr:class="form step-form" attr:id="step-form">
                                <input type="hidden" name="attempt" value=attempt.to_string()/>
                                <input type="hidden" name="step" value=form_step/>
                                <StepInputs step=step/>
                                <button type="submit" class="btn btn-primary" id="step-submit">{t("play.submit")}</button>
                            </ActionForm>
                            {v.can_back.then(|| view! {
                                <ActionForm action=actions.back attr:class="inline">
                                    <input type="hidden" name="attempt" value=attempt.to_string()/>
                                    <input type="hidden" name="step" value=step_id.clone()/>
                                    <button type="submit" class="btn btn-small" id="step-back">{t("play.back")}</button>
                                </ActionForm>
                            })}
                        </section>
                    }
                }</For>
                <EvidenceLocker items=v.evidence.clone()/>
            </div>
            <aside class="play-side" aria-label=t("play.console")>
                <h2 class="console-title">{t("play.console")}</h2>
                <ActionFeedback action=actions.mark/>
                <ActionFeedback action=actions.unmark/>
                {v.documents.clone().into_iter().enumerate().map(|(i, d)| view! {
                    <ConsoleDoc d open=i == 0 attempt actions/>
                }).collect_view()}
                <details class="doc">
                    <summary>{t("scenario.briefing")}</summary>
                    <div class="prose doc-body" inner_html=v.briefing_html.clone()></div>
                </details>
            </aside>
        </div>
    }
    .into_any()
}

/// The time left in an exam attempt, as the server computed it; in the browser it counts down and reloads the page
/// when it reaches zero, so the server closes the attempt and shows the debrief.
#[component]
fn TimeLeft(seconds: i64) -> impl IntoView {
    let left = RwSignal::new(seconds);
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                left.update(|n| *n = (*n - 1).max(0));
                if left.get_untracked() == 0 {
                    let _ = window().location().reload();
                }
            },
            std::time::Duration::from_secs(1),
        )
        .ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <p class="alert alert-info timer" id="time-left" role="timer">
            {move || {
                let s = left.get();
                t_with("play.time_left", &[("m", &(s / 60).to_string()), ("s", &format!("{:02}", s % 60))])
            }}
        </p>
    }
}

#[component]
fn StepInputs(step: StepView) -> impl IntoView {
    match step.kind.as_str() {
        "choice" => view! {
            <fieldset class="options">
                <legend class="sr-only">{step.title.clone()}</legend>
                {step.options.into_iter().map(|o| view! {
                    <label class="option">
                        <input type="radio" name="choice" value=o.key.clone() required/>
                        <span>{o.text.clone()}</span>
                    </label>
                }).collect_view()}
            </fieldset>
        }
        .into_any(),
        "multi" | "review" => {
            let hint = if step.kind == "review" {
                "play.review_hint"
            } else {
                "play.multi_hint"
            };
            view! {
                <p class="hint">{t(hint)}</p>
                <fieldset class="options">
                    <legend class="sr-only">{step.title.clone()}</legend>
                    {step.options.into_iter().map(|o| view! {
                        <label class="option">
                            <input type="checkbox" name=format!("pick[{}]", o.key) value="on"/>
                            <span>
                                {o.document.map(|d| view! { <span class="tag">{d}</span> })}
                                {o.text.clone()}
                            </span>
                        </label>
                    }).collect_view()}
                </fieldset>
            }
            .into_any()
        }
        "record" => view! {
            <label for="record-text">{t("play.record_label")}</label>
            <textarea id="record-text" name="text" rows="12" maxlength=RECORD_MAX.to_string() required
                placeholder=t("play.record_placeholder")></textarea>
            <p class="hint">{t("play.record_hint")}</p>
        }
        .into_any(),
        _ => view! {
            <label for="amount">{t("play.amount_label")}</label>
            <input id="amount" name="amount" type="text" inputmode="decimal" required autocomplete="off"
                placeholder=t("play.amount_placeholder")/>
            <p class="hint">{t("play.amount_hint")}</p>
        }
        .into_any(),
    }
}

#[component]
fn FeedbackCard(f: FeedbackView) -> impl IntoView {
    let penalty = f.kind == "penalty";
    view! {
        <section class="card feedback" id="feedback" aria-live="polite">
            <h2>{t_with("play.feedback_title", &[("step", &f.step_title)])}</h2>
            {f.critical.clone().map(|c| view! {
                <p class="alert alert-error">{t(if c == "end" { "play.critical_end" } else { "play.critical_cap" })}</p>
            })}
            <ul class="verdicts">
                {f.items.into_iter().map(|i| {
                    let (range, expected) = i.note.split_once('|').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap_or_default();
                    view! {
                        <li class=format!("verdict verdict-{}", i.verdict)>
                            <span class="verdict-mark">{t(&format!("play.verdict_{}", i.verdict))}</span>
                            <span class="verdict-text">{i.text.clone()}</span>
                            {if penalty {
                                view! { <p class="small">{t_with("play.penalty_ranges", &[("range", &range), ("expected", &expected)])}</p> }.into_any()
                            } else if i.note.is_empty() {
                                ().into_any()
                            } else {
                                view! { <p class="verdict-note">{i.note.clone()}</p> }.into_any()
                            }}
                            {(!i.basis.is_empty()).then(|| view! {
                                <p class="basis small">{t("play.basis")}{i.basis.join("；")}</p>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="small earned">
                {if f.earned.is_empty() {
                    t("play.earned_none")
                } else {
                    let parts: Vec<String> = f.earned.iter().map(|(d, n)| format!("{} +{n}", dim_label(d))).collect();
                    t_with("play.earned", &[("list", &parts.join("，"))])
                }}
            </p>
        </section>
    }
}

#[component]
fn EvidenceLocker(items: Vec<EvidenceView>) -> impl IntoView {
    view! {
        <section class="card locker" id="locker">
            <h2>{t("play.locker")}<span class="tag">{items.len()}</span></h2>
            {if items.is_empty() {
                view! { <p class="muted small">{t("play.locker_empty")}</p> }.into_any()
            } else {
                view! {
                    <ul class="locker-list">
                        {items.into_iter().map(|e| view! {
                            <li><span class="tag">{e.kind.clone()}</span>{e.title.clone()}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ConsoleDoc(d: DocView, open: bool, attempt: i64, actions: Actions) -> impl IntoView {
    let chart = d.chart.clone();
    let doc_id = d.id.clone();
    view! {
        <details class="doc" open=open id=format!("doc-{}", d.id)>
            <summary>{d.title.clone()}</summary>
            {(!d.html.is_empty()).then(|| view! { <div class="prose doc-body" inner_html=d.html.clone()></div> })}
            {chart.map(|c| {
                let labels = c.labels.clone();
                let options = move || labels.iter().enumerate().map(|(i, l)| view! { <option value=i.to_string()>{l.clone()}</option> }).collect_view();
                let label_of = {
                    let labels = c.labels.clone();
                    move |i: usize| labels.get(i).cloned().unwrap_or_default()
                };
                let marks = c.marks.clone();
                let doc_for_unmark = doc_id.clone();
                let marked = (!marks.is_empty()).then(move || {
                    let rows = marks.into_iter().enumerate().map(|(i, (a, b))| {
                        let doc = doc_for_unmark.clone();
                        view! {
                            <li>
                                <span class="tag tag-warn">{format!("{} – {}", label_of(a), label_of(b))}</span>
                                <ActionForm action=actions.unmark attr:class="inline">
                                    <input type="hidden" name="attempt" value=attempt.to_string()/>
                                    <input type="hidden" name="document" value=doc/>
                                    <input type="hidden" name="index" value=i.to_string()/>
                                    <button type="submit" class="btn btn-small">{t("play.unmark")}</button>
                                </ActionForm>
                            </li>
                        }
                    }).collect_view();
                    view! { <ul class="marks">{rows}</ul> }
                });
                view! {
                    <SeriesChart chart=c.clone()/>
                    <ActionForm action=actions.mark attr:class="mark-form">
                        <input type="hidden" name="attempt" value=attempt.to_string()/>
                        <input type="hidden" name="document" value=doc_id.clone()/>
                        <label>{t("play.mark_from")}<select name="from">{options()}</select></label>
                        <label>{t("play.mark_to")}<select name="to">{options()}</select></label>
                        <button type="submit" class="btn btn-small">{t("play.mark_submit")}</button>
                    </ActionForm>
                    {marked}
                }
            })}
        </details>
    }
}

#[component]
fn DebriefView(d: Debrief, scenario: String, evidence: Vec<EvidenceView>) -> impl IntoView {
    let dims = d.dims.clone();
    view! {
        <div class="debrief" id="debrief">
            <section class="card debrief-score">
                <div>
                    <h2>{t("play.debrief")}</h2>
                    <p class="big-score" id="final-score">{format!("{} / {}", d.total, d.max)}</p>
                    {d.timed_out.then(|| view! { <p class="alert alert-info">{t("play.timed_out")}</p> })}
                    {d.critical.clone().map(|c| view! {
                        <div class="alert alert-error">
                            <strong>{t(if c.ends { "play.critical_end" } else { "play.critical_cap" })}</strong>
                            <p>{format!("{}：{}", c.step_title, c.choice)}</p>
                            <p class="small">{c.feedback.clone()}</p>
                        </div>
                    })}
                    <table class="table dims">
                        <tbody>
                            {dims.iter().map(|x| view! {
                                <tr><th>{dim_label(&x.key)}</th><td>{format!("{} / {}", x.mine, x.max)}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <Radar dims=dims.iter().map(|x| (dim_label(&x.key), x.mine, x.max)).collect()/>
            </section>
            {d.ending.clone().map(|e| view! {
                <section class="card">
                    <h2>{e.title.clone()}{e.model.then(|| view! { <span class="tag tag-ok">{t("play.model_ending")}</span> })}</h2>
                    <dl class="facts">
                        <dt>{t("play.qualification")}</dt><dd>{e.qualification.clone()}</dd>
                        <dt>{t("play.penalty")}</dt><dd>{e.penalty.clone()}</dd>
                        <dt>{t("play.basis")}</dt><dd>{e.basis.join("；")}</dd>
                    </dl>
                    <div class="prose" inner_html=e.html.clone()></div>
                </section>
            })}
            {d.model_ending.clone().filter(|_| d.ending.as_ref().is_none_or(|e| !e.model)).map(|e| view! {
                <section class="card">
                    <h2>{t("play.model_outcome")}</h2>
                    <dl class="facts">
                        <dt>{t("play.qualification")}</dt><dd>{e.qualification.clone()}</dd>
                        <dt>{t("play.penalty")}</dt><dd>{e.penalty.clone()}</dd>
                        <dt>{t("play.basis")}</dt><dd>{e.basis.join("；")}</dd>
                    </dl>
                </section>
            })}
            <section class="card">
                <h2>{t("play.path")}</h2>
                <div class="path">
                    {d.path.into_iter().map(|r| {
                        let off = r.points.zip(r.best).is_some_and(|(p, b)| p < b) || r.yours.is_none();
                        view! {
                            <div class=if off { "path-row path-off" } else { "path-row" }>
                                <h3>{r.step_title.clone()}
                                    {r.points.map(|p| view! { <span class="tag">{format!("{p} / {}", r.best.unwrap_or(p))}</span> })}
                                </h3>
                                <p class="small"><strong>{t("play.yours")}</strong>{r.yours.clone().unwrap_or_else(|| t("play.not_reached"))}</p>
                                {r.model.clone().filter(|m| Some(m) != r.yours.as_ref()).map(|m| view! {
                                    <p class="small model"><strong>{t("play.model")}</strong>{m}</p>
                                })}
                            </div>
                        }
                    }).collect_view()}
                </div>
            </section>
            {(!d.marks.is_empty()).then(|| view! {
                <section class="card">
                    <h2>{t("play.marks_report")}</h2>
                    {d.marks.into_iter().map(|m| view! {
                        <h3>{m.document.title.clone()}</h3>
                        <p class="small">{t_with("play.marks_summary", &[("found", &m.found.to_string()), ("missed", &m.missed.to_string()), ("false", &m.false_alarms.to_string())])}</p>
                        {m.document.chart.clone().map(|c| view! { <SeriesChart chart=c/> })}
                    }).collect_view()}
                </section>
            })}
            <EvidenceLocker items=evidence/>
            <section class="card">
                <h2>{t("play.study_next")}</h2>
                {if d.lessons.is_empty() {
                    view! { <p class="muted small">{t("play.study_none")}</p> }.into_any()
                } else {
                    view! {
                        <ul>{d.lessons.into_iter().map(|(id, title)| view! { <li><a href=format!("/lessons/{id}")>{title}</a></li> }).collect_view()}</ul>
                    }.into_any()
                }}
            </section>
            <div class="actions">
                <a class="btn" href=format!("/scenarios/{scenario}")>{t("play.again")}</a>
                <a class="btn" href="/scenarios">{t("play.catalogue")}</a>
            </div>
        </div>
    }
}
