//! The home page: one section per role the person holds, each saying what to do next.

use crate::accounts::Protected;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, t_with};
use crate::ui::{Empty, PageHeader};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HomeData {
    pub display_name: String,
    pub unit_name: String,
    pub roles: Vec<Role>,
    /// For admins: units and people in their subtree.
    pub units_in_scope: i64,
    pub users_in_scope: i64,
    pub users_never_logged_in: i64,
}

#[server(prefix = "/api", endpoint = "home_summary")]
pub async fn home_summary() -> Result<HomeData, AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let (mut units, mut users, mut never) = (0, 0, 0);
    if user.has(Role::Admin) {
        units = sqlx::query_scalar("select count(*) from unit where path like $1 || '%'")
            .bind(&user.unit_path)
            .fetch_one(&mut *conn)
            .await?;
        let row: (i64, i64) = sqlx::query_as(
            "select count(*), coalesce(sum(case when u.last_login_at is null then 1 else 0 end), 0) \
             from app_user u join unit un on un.unit_id = u.unit_id where un.path like $1 || '%'",
        )
        .bind(&user.unit_path)
        .fetch_one(&mut *conn)
        .await?;
        (users, never) = row;
    }
    Ok(HomeData {
        display_name: user.display_name,
        unit_name: user.unit_name,
        roles: user.roles,
        units_in_scope: units,
        users_in_scope: users,
        users_never_logged_in: never,
    })
}

#[component]
pub fn HomePage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let summary = Resource::new(|| (), |_| home_summary());
    // Created here, not inside the Suspense below: a resource made after an await would lose its owner's
    // context on the server.
    let study = Resource::new(|| (), |_| crate::study::study_home());
    view! { <Protected><HomeBody summary study/></Protected> }
}

#[component]
fn HomeBody(
    summary: Resource<Result<HomeData, AppError>>,
    study: Resource<Result<crate::study::HomeStudy, AppError>>,
) -> impl IntoView {
    let changed = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("password_changed").is_some());
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(s) => view! { <HomeSections s changed study/> }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn HomeSections(
    s: HomeData,
    changed: bool,
    study: Resource<Result<crate::study::HomeStudy, AppError>>,
) -> impl IntoView {
    let has = |r: Role| s.roles.contains(&r);
    let trainee = has(Role::Trainee);
    let examiner = has(Role::Examiner);
    let admin = has(Role::Admin);
    view! {
        <PageHeader title=t_with("home.greeting", &[("name", &s.display_name)]) subtitle=s.unit_name.clone()/>
        {changed.then(|| view! { <p class="alert alert-ok" role="status">{t("password.changed")}</p> })}
        <div class="grid">
            {trainee.then(|| view! { <TraineeSection study/> })}
            {examiner.then(|| view! {
                <section class="card">
                    <h2>{t("home.examiner_title")}</h2>
                    <Empty title=t("home.examiner_empty") hint=t("home.examiner_hint")/>
                </section>
            })}
            {admin.then(|| view! {
                <section class="card">
                    <h2>{t("home.admin_title")}</h2>
                    <dl class="stats">
                        <div><dt>{t("home.units_in_scope")}</dt><dd>{s.units_in_scope}</dd></div>
                        <div><dt>{t("home.users_in_scope")}</dt><dd>{s.users_in_scope}</dd></div>
                        <div><dt>{t("home.never_logged_in")}</dt><dd>{s.users_never_logged_in}</dd></div>
                    </dl>
                    <div class="actions">
                        <a class="btn btn-primary" href="/admin/users/new">{t("home.add_user")}</a>
                        <a class="btn" href="/admin/import">{t("home.import_roster")}</a>
                        <a class="btn" href="/admin/units">{t("home.manage_units")}</a>
                    </div>
                </section>
            })}
        </div>
    }
}

/// What a trainee does next: 学时 this year against the target, due assignments, courses in progress, events.
#[component]
fn TraineeSection(study: Resource<Result<crate::study::HomeStudy, AppError>>) -> impl IntoView {
    use crate::study::HoursBar;
    let data = study;
    view! {
        <section class="card trainee-home">
            <h2>{t("home.trainee_title")}</h2>
            <Suspense fallback=crate::ui::Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(h) => view! {
                            <HoursBar hours=h.hours target=h.target year=h.year/>
                            {h.next.clone().map(|(href, title)| view! {
                                <p class="next-up"><span class="muted small">{t("home.next")}</span><br/>
                                    <a class="btn btn-primary" id="next-up" href=href>{title}</a></p>
                            })}
                            {(!h.due.is_empty()).then(|| view! {
                                <h3>{t("home.due")}</h3>
                                <ul class="plain">{h.due.iter().map(|c| view! {
                                    <li><a href=format!("/courses/{}", c.id)>{c.title.clone()}</a>
                                        <span class="tag tag-warn">{t_with("study.due", &[("date", &crate::ui::format_time(c.due_at.unwrap_or_default()))])}</span>
                                        <span class="muted small">{format!(" {}%", c.percent)}</span></li>
                                }).collect_view()}</ul>
                            })}
                            {(!h.in_progress.is_empty()).then(|| view! {
                                <h3>{t("home.in_progress")}</h3>
                                <ul class="plain">{h.in_progress.iter().map(|c| view! {
                                    <li><a href=format!("/courses/{}", c.id)>{c.title.clone()}</a><span class="muted small">{format!(" {}%", c.percent)}</span></li>
                                }).collect_view()}</ul>
                            })}
                            {(!h.events.is_empty()).then(|| view! {
                                <h3>{t("home.events")}</h3>
                                <ul class="plain">{h.events.iter().map(|e| view! {
                                    <li><a href="/events">{e.title.clone()}</a><span class="muted small">{format!(" {}", crate::ui::format_time(e.starts_at))}</span></li>
                                }).collect_view()}</ul>
                            })}
                            {(h.next.is_none() && h.due.is_empty()).then(|| view! {
                                <Empty title=t("home.trainee_empty") hint=t("home.trainee_hint")/>
                            })}
                            <div class="actions">
                                <a class="btn" href="/courses">{t("nav.courses")}</a>
                                <a class="btn" href="/scenarios">{t("nav.scenarios")}</a>
                                <a class="btn" href="/study/hours">{t("study.my_hours")}</a>
                            </div>
                        }.into_any(),
                        Err(err) => view! { <p class="alert alert-error">{crate::ui::error_text(&err)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
