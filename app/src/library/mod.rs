//! The case library, lessons to read, and search across what is published, for every logged-in officer.

use crate::accounts::Protected;
use crate::error::AppError;
use crate::i18n::{t, t_with};
use crate::ui::{Empty, PageHeader};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseCard {
    pub id: String,
    pub title: String,
    pub act_date: String,
    pub industry: String,
    pub region: String,
    pub violations: Vec<String>,
    pub penalty: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseList {
    pub cases: Vec<CaseCard>,
    /// Industry ids with their Chinese names, for the filter and the cards.
    pub industries: Vec<(String, String)>,
    pub years: Vec<String>,
    pub violations: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseView {
    pub card: CaseCard,
    pub industry_name: String,
    pub basis: Vec<String>,
    pub outcome: String,
    pub verified: bool,
    /// Sanitised HTML of the body.
    pub html: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub kind: String,
    pub href: String,
    pub title: String,
    /// The snippet with matches between `[[` and `]]`; the page escapes it and marks the matches.
    pub snippet: String,
}

/// The industries by id and Chinese name, in the brief's order.
#[cfg(feature = "ssr")]
pub(crate) async fn ssr_industries(
    conn: &mut sqlx::AnyConnection,
) -> Result<Vec<(String, String)>, AppError> {
    ssr::industries(conn).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::content::model::{CaseStudy, Industry};
    use crate::error::AppError;
    use crate::server::content_store;
    use sqlx::AnyConnection;

    pub async fn industries(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, AppError> {
        let bodies = content_store::published_all(conn, "industry").await?;
        let mut list: Vec<Industry> = bodies
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect();
        let order = crate::content::check::INDUSTRY_IDS;
        list.sort_by_key(|i| order.iter().position(|x| *x == i.id).unwrap_or(99));
        Ok(list.into_iter().map(|i| (i.id, i.name_zh)).collect())
    }

    pub fn card(meta: crate::content::model::CaseMeta) -> super::CaseCard {
        super::CaseCard {
            id: meta.id,
            title: meta.title,
            act_date: meta.act_date,
            industry: meta.industry,
            region: meta.region,
            violations: meta.violations,
            penalty: meta.penalty,
        }
    }

    pub fn parse_case(body: &str) -> Option<CaseStudy> {
        serde_json::from_str(body).ok()
    }
}

#[server(prefix = "/api", endpoint = "list_cases")]
pub async fn list_cases(
    industry: String,
    violation: String,
    year: String,
) -> Result<CaseList, AppError> {
    use crate::server::{auth, content_store, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let all: Vec<_> = content_store::visible_all(&mut conn, "case", &user.unit_path)
        .await?
        .iter()
        .filter_map(|b| ssr::parse_case(b))
        .collect();
    let mut years: Vec<String> = all
        .iter()
        .map(|c| c.meta.act_date[..4].to_owned())
        .collect();
    years.sort_by(|a, b| b.cmp(a));
    years.dedup();
    let mut violations: Vec<String> = all.iter().flat_map(|c| c.meta.violations.clone()).collect();
    violations.sort_by_key(|v| v.trim_start_matches('V').parse::<u32>().unwrap_or(99));
    violations.dedup();
    let mut cases: Vec<CaseCard> = all
        .into_iter()
        .filter(|c| industry.is_empty() || c.meta.industry == industry)
        .filter(|c| violation.is_empty() || c.meta.violations.contains(&violation))
        .filter(|c| year.is_empty() || c.meta.act_date.starts_with(&year))
        .map(|c| ssr::card(c.meta))
        .collect();
    cases.sort_by(|a, b| b.act_date.cmp(&a.act_date));
    Ok(CaseList {
        cases,
        industries: ssr::industries(&mut conn).await?,
        years,
        violations,
    })
}

#[server(prefix = "/api", endpoint = "get_case")]
pub async fn get_case(id: String) -> Result<CaseView, AppError> {
    use crate::server::{auth, content_store, markdown, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let body = content_store::visible_one(&mut conn, "case", &id, &user.unit_path)
        .await?
        .ok_or(AppError::NotFound)?;
    let case = ssr::parse_case(&body)
        .ok_or_else(|| AppError::internal("case body", "unreadable stored case"))?;
    let laws = content_store::laws(&mut conn).await?;
    let industry_name = ssr::industries(&mut conn)
        .await?
        .into_iter()
        .find(|(i, _)| *i == case.meta.industry)
        .map(|(_, n)| n)
        .unwrap_or_default();
    Ok(CaseView {
        basis: case
            .meta
            .basis
            .iter()
            .map(|c| content_store::cite(c, &laws))
            .collect(),
        outcome: case.meta.outcome.clone(),
        verified: case.meta.verified,
        html: markdown::render(&case.body),
        industry_name,
        card: ssr::card(case.meta),
    })
}

#[server(prefix = "/api", endpoint = "search")]
pub async fn search(q: String) -> Result<Vec<SearchHit>, AppError> {
    use crate::server::{auth, content_store, state::app_state};
    let user = auth::require_user().await?;
    let q = q.trim().chars().take(60).collect::<String>();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let hits = content_store::search(&mut conn, &q, &user.unit_path, 30).await?;
    Ok(hits
        .into_iter()
        .map(|h| SearchHit {
            href: match h.kind.as_str() {
                "case" => format!("/cases/{}", h.key),
                "lesson" => format!("/lessons/{}", h.key),
                _ => format!("/scenarios/{}", h.key),
            },
            kind: h.kind,
            title: h.title,
            snippet: h.snippet,
        })
        .collect())
}

/// Renders a snippet: text escaped by the view, `[[…]]` shown as marked matches.
fn snippet_view(snippet: &str) -> impl IntoView + use<> {
    let mut parts = Vec::new();
    let mut rest = snippet;
    while let Some(open) = rest.find("[[") {
        let Some(close) = rest[open..].find("]]") else {
            break;
        };
        parts.push((rest[..open].to_owned(), false));
        parts.push((rest[open + 2..open + close].to_owned(), true));
        rest = &rest[open + close + 2..];
    }
    parts.push((rest.to_owned(), false));
    parts
        .into_iter()
        .map(|(text, marked)| {
            if marked {
                view! { <mark>{text}</mark> }.into_any()
            } else {
                text.into_any()
            }
        })
        .collect_view()
}

#[component]
pub fn SearchPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let hits = Resource::new(q, search);
    view! { <Protected><SearchBody hits/></Protected> }
}

#[component]
fn SearchBody(hits: Resource<Result<Vec<SearchHit>, AppError>>) -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    view! {
        <leptos_meta::Title text=t("search.title")/>
        <PageHeader title=t("search.title") subtitle=t("search.subtitle")/>
        <form method="get" action="/search" class="search" role="search">
            <input type="search" name="q" value=q aria-label=t("search.title") placeholder=t("search.placeholder")/>
            <button type="submit" class="btn btn-primary">{t("common.search")}</button>
        </form>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                let query = q();
                match hits.await {
                    Ok(_) if query.trim().is_empty() => ().into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <Empty title=t_with("search.none", &[("q", &query)]) hint=t("search.none_hint")/>
                    }.into_any(),
                    Ok(list) => view! {
                        <p class="muted small">{t_with("search.count", &[("n", &list.len().to_string())])}</p>
                        <ol class="hits">
                            {list.into_iter().map(|h| {
                                let kind = t(&format!("search.kind_{}", h.kind));
                                view! {
                                    <li class="card hit">
                                        <span class="tag">{kind}</span>
                                        <a href=h.href.clone() class="hit-title">{h.title.clone()}</a>
                                        <p class="snippet">{snippet_view(&h.snippet)}</p>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn CasesPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let query = use_query_map();
    let filters = move || {
        query.with(|m| {
            (
                m.get("industry").unwrap_or_default(),
                m.get("violation").unwrap_or_default(),
                m.get("year").unwrap_or_default(),
            )
        })
    };
    let list = Resource::new(filters, |(i, v, y)| list_cases(i, v, y));
    view! { <Protected><CasesBody list/></Protected> }
}

#[component]
fn CasesBody(list: Resource<Result<CaseList, AppError>>) -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        query.with(|m| {
            (
                m.get("industry").unwrap_or_default(),
                m.get("violation").unwrap_or_default(),
                m.get("year").unwrap_or_default(),
            )
        })
    };
    view! {
        <leptos_meta::Title text=t("cases.title")/>
        <PageHeader title=t("cases.title") subtitle=t("cases.subtitle")/>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                let (industry, violation, year) = filters();
                match list.await {
                    Ok(data) => {
                        let names = data.industries.clone();
                        let name_of = move |id: &str| names.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()).unwrap_or_default();
                        view! {
                            <form method="get" action="/cases" class="filters">
                                <select name="industry" aria-label=t("cases.industry")>
                                    <option value="">{t("cases.all_industries")}</option>
                                    {data.industries.iter().map(|(id, name)| view! {
                                        <option value=id.clone() selected=*id == industry>{name.clone()}</option>
                                    }).collect_view()}
                                </select>
                                <select name="violation" aria-label=t("cases.violation")>
                                    <option value="">{t("cases.all_violations")}</option>
                                    {data.violations.iter().map(|v| view! {
                                        <option value=v.clone() selected=*v == violation>{format!("{v} {}", t(&format!("violation.{v}")))}</option>
                                    }).collect_view()}
                                </select>
                                <select name="year" aria-label=t("cases.year")>
                                    <option value="">{t("cases.all_years")}</option>
                                    {data.years.iter().map(|y| view! { <option value=y.clone() selected=*y == year>{y.clone()}</option> }).collect_view()}
                                </select>
                                <button type="submit" class="btn">{t("cases.filter")}</button>
                            </form>
                            {if data.cases.is_empty() {
                                view! { <Empty title=t("cases.empty") hint=t("cases.empty_hint")/> }.into_any()
                            } else {
                                view! {
                                    <div class="grid cards">
                                        {data.cases.into_iter().map(|c| view! {
                                            <a class="card case-card" href=format!("/cases/{}", c.id)>
                                                <span class="muted small">{format!("{} · {} · {}", c.act_date, name_of(&c.industry), c.region)}</span>
                                                <strong>{c.title.clone()}</strong>
                                                <span class="tags">{c.violations.iter().map(|v| view! { <span class="tag">{v.clone()}</span> }).collect_view()}</span>
                                                <span class="small">{c.penalty.clone()}</span>
                                            </a>
                                        }).collect_view()}
                                    </div>
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
pub fn CasePage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let case = Resource::new(id, get_case);
    view! { <Protected><CaseBody case/></Protected> }
}

#[component]
fn CaseBody(case: Resource<Result<CaseView, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match case.await {
                    Ok(c) => view! {
                        <leptos_meta::Title text=c.card.title.clone()/>
                        <article class="narrow article">
                            <p><a href="/cases">{t("cases.back")}</a></p>
                            <h1>{c.card.title.clone()}</h1>
                            <dl class="facts">
                                <div><dt>{t("cases.act_date")}</dt><dd>{c.card.act_date.clone()}</dd></div>
                                <div><dt>{t("cases.industry")}</dt><dd>{c.industry_name.clone()}</dd></div>
                                <div><dt>{t("cases.region")}</dt><dd>{c.card.region.clone()}</dd></div>
                                <div><dt>{t("cases.violation")}</dt><dd>{c.card.violations.join("、")}</dd></div>
                                <div><dt>{t("cases.penalty")}</dt><dd>{c.card.penalty.clone()}</dd></div>
                                <div><dt>{t("cases.outcome")}</dt><dd>{c.outcome.clone()}</dd></div>
                            </dl>
                            {(!c.verified).then(|| view! { <p class="alert alert-info">{t("cases.unverified")}</p> })}
                            <div class="prose" inner_html=c.html.clone()></div>
                            <section class="card">
                                <h2>{t("cases.basis")}</h2>
                                <ul>{c.basis.into_iter().map(|b| view! { <li>{b}</li> }).collect_view()}</ul>
                            </section>
                        </article>
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioBrief {
    pub id: String,
    pub title: String,
    pub industry_name: String,
    pub act_date: String,
    pub minutes: u32,
    pub source: String,
    /// Sanitised HTML of the briefing, with the first variant's values filled in.
    pub html: String,
    /// The caller's open practice or exam attempt on this scenario, to resume.
    pub resume: Option<i64>,
}

/// A scenario's briefing: what a trainee may read before the exercise (never its steps or answers).
#[server(prefix = "/api", endpoint = "get_scenario_brief")]
pub async fn get_scenario_brief(id: String) -> Result<ScenarioBrief, AppError> {
    use crate::content::model::Scenario;
    use crate::server::{auth, content_store, markdown, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let body = content_store::visible_one(&mut conn, "scenario", &id, &user.unit_path)
        .await?
        .ok_or(AppError::NotFound)?;
    let s: Scenario =
        serde_json::from_str(&body).map_err(|e| AppError::internal("scenario body", e))?;
    let mut text = s.briefing.text.clone();
    for slot in &s.slot {
        if let Some(option) = slot.option.first() {
            for (var, value) in &option.vars {
                text = text.replace(&format!("{{{{{}.{var}}}}}", slot.id), value);
            }
        }
    }
    let industry_name = ssr::industries(&mut conn)
        .await?
        .into_iter()
        .find(|(i, _)| *i == s.industry)
        .map(|(_, n)| n)
        .unwrap_or_default();
    let resume = crate::server::attempts::of_user(&mut conn, user.id)
        .await?
        .into_iter()
        .find(|a| a.scenario_key == s.id && a.status == "open" && a.stage_id.is_none())
        .map(|a| a.id);
    Ok(ScenarioBrief {
        resume,
        id: s.id,
        title: s.title,
        industry_name,
        act_date: s.act_date,
        minutes: s.minutes,
        source: s.briefing.source,
        html: markdown::render(&text),
    })
}

#[component]
pub fn ScenarioBriefPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let brief = Resource::new(id, get_scenario_brief);
    view! { <Protected><ScenarioBriefBody brief/></Protected> }
}

#[component]
fn ScenarioBriefBody(brief: Resource<Result<ScenarioBrief, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match brief.await {
                    Ok(b) => view! {
                        <leptos_meta::Title text=b.title.clone()/>
                        <article class="narrow article">
                            <h1>{b.title.clone()}</h1>
                            <p class="muted small">{format!("{} · {} · ", b.industry_name, b.act_date)}{t_with("lesson.minutes", &[("n", &b.minutes.to_string())])}</p>
                            <section class="card">
                                <h2>{t("scenario.briefing")}<span class="tag">{b.source.clone()}</span></h2>
                                <div class="prose preview" inner_html=b.html.clone()></div>
                            </section>
                            <crate::scenario::StartForms scenario=b.id.clone() resume=b.resume/>
                        </article>
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
