//! Blended training events: 集中面授 classes and 现场观摩 site visits at training-base plants. Admins create them
//! for their unit's subtree; trainees sign up; attendance is confirmed by a check-in code shown at the venue (valid
//! only while the event runs) or marked by the organiser, and credits the event's 学时.

#[cfg_attr(not(feature = "ssr"), allow(unused_imports))]
use super::rules::{self, format_hours};
use crate::accounts::Protected;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, t_with};
use crate::ui::{ActionFeedback, Empty, PageHeader};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventCard {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub industry: String,
    pub place: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub hundredths: i64,
    pub capacity: i64,
    pub signed_up: i64,
    pub unit: String,
    pub mine: bool,
    pub attended: bool,
    /// The event is running now: the check-in form is open.
    pub running: bool,
    pub past: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosterRow {
    pub user_id: i64,
    pub name: String,
    pub unit: String,
    pub attended: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminEvent {
    pub card: EventCard,
    /// Shown at the venue; only organisers over the event's unit see it.
    pub code: String,
    pub roster: Vec<RosterRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventsAdminView {
    pub events: Vec<EventCard>,
    pub industries: Vec<(String, String)>,
}

/// Reads a `datetime-local` value ("2026-12-01T09:00") as China Standard Time.
pub fn parse_local(s: &str) -> Option<i64> {
    let (date, clock) = s.trim().split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i32>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut c = clock.split(':').map(|p| p.parse::<u8>().ok());
    let (h, mi) = (c.next()??, c.next()??);
    let date =
        time::Date::from_calendar_date(y, time::Month::try_from(m as u8).ok()?, day as u8).ok()?;
    let t = time::PrimitiveDateTime::new(date, time::Time::from_hms(h, mi, 0).ok()?);
    let cst = time::UtcOffset::from_hms(8, 0, 0).ok()?;
    Some(t.assume_offset(cst).unix_timestamp())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::server::auth::CurrentUser;
    use crate::server::db;
    use sqlx::{AnyConnection, Row};

    const CARD: &str = "select e.event_id, e.kind, e.title, coalesce(e.industry, '') as industry, e.place, e.starts_at, \
         e.ends_at, e.hundredths, e.capacity, un.name as unit_name, un.path as unit_path, e.checkin_code, \
         (select count(*) from event_signup s where s.event_id = e.event_id) as signed_up, \
         (select count(*) from event_signup s where s.event_id = e.event_id and s.user_id = $1) as mine, \
         (select count(*) from event_signup s where s.event_id = e.event_id and s.user_id = $1 and s.attended_at is not null) as attended \
         from training_event e join unit un on un.unit_id = e.unit_id";

    pub struct Loaded {
        pub card: EventCard,
        pub unit_path: String,
        pub code: String,
    }

    fn card(
        r: &sqlx::any::AnyRow,
        names: &[(String, String)],
        now: i64,
    ) -> Result<Loaded, sqlx::Error> {
        let industry: String = r.try_get("industry")?;
        let starts_at: i64 = r.try_get("starts_at")?;
        let ends_at: i64 = r.try_get("ends_at")?;
        Ok(Loaded {
            card: EventCard {
                id: r.try_get("event_id")?,
                kind: r.try_get("kind")?,
                title: r.try_get("title")?,
                industry: names
                    .iter()
                    .find(|(id, _)| *id == industry)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
                place: r.try_get("place")?,
                starts_at,
                ends_at,
                hundredths: r.try_get("hundredths")?,
                capacity: r.try_get("capacity")?,
                signed_up: r.try_get("signed_up")?,
                unit: r.try_get("unit_name")?,
                mine: r.try_get::<i64, _>("mine")? > 0,
                attended: r.try_get::<i64, _>("attended")? > 0,
                running: starts_at <= now && now <= ends_at,
                past: ends_at < now,
            },
            unit_path: r.try_get("unit_path")?,
            code: r.try_get("checkin_code")?,
        })
    }

    /// Events a person may attend: those organised by their own unit or a unit above it.
    pub async fn visible_to(
        conn: &mut AnyConnection,
        user: &CurrentUser,
    ) -> Result<Vec<EventCard>, AppError> {
        let names = crate::library::ssr_industries(conn).await?;
        let rows = sqlx::query(&format!(
            "{CARD} where $2 like un.path || '%' order by e.starts_at"
        ))
        .bind(user.id)
        .bind(&user.unit_path)
        .fetch_all(conn)
        .await?;
        let now = db::now();
        rows.iter()
            .map(|r| card(r, &names, now).map(|l| l.card))
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }

    pub async fn upcoming_for(
        conn: &mut AnyConnection,
        user: &CurrentUser,
    ) -> Result<Vec<EventCard>, AppError> {
        Ok(visible_to(conn, user)
            .await?
            .into_iter()
            .filter(|e| !e.past)
            .take(3)
            .collect())
    }

    pub async fn load(
        conn: &mut AnyConnection,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Loaded, AppError> {
        let names = crate::library::ssr_industries(conn).await?;
        let row = sqlx::query(&format!("{CARD} where e.event_id = $2"))
            .bind(user.id)
            .bind(id)
            .fetch_optional(conn)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(card(&row, &names, db::now())?)
    }

    /// Credits (or takes back) the event's 学时 with the attendance mark.
    pub async fn set_attended(
        conn: &mut AnyConnection,
        event: &Loaded,
        user_id: i64,
        attended: bool,
        by: Option<i64>,
    ) -> Result<(), AppError> {
        let now = db::now();
        sqlx::query(
            "update event_signup set attended_at = $1, marked_by = $2 where event_id = $3 and user_id = $4",
        )
        .bind(attended.then_some(now))
        .bind(by)
        .bind(event.card.id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
        let key = event.card.id.to_string();
        if attended {
            super::super::ssr::credit(
                conn,
                user_id,
                "event",
                &key,
                &event.card.title,
                event.card.hundredths,
            )
            .await?;
        } else {
            sqlx::query(
                "delete from credit where user_id = $1 and kind = 'event' and ref_key = $2",
            )
            .bind(user_id)
            .bind(&key)
            .execute(conn)
            .await?;
        }
        Ok(())
    }

    /// Six digits, easy to read aloud and type on a phone.
    pub fn checkin_code() -> String {
        use rand::Rng;
        format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
    }
}

#[server(prefix = "/api", endpoint = "list_events")]
pub async fn list_events() -> Result<Vec<EventCard>, AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    ssr::visible_to(&mut conn, &user).await
}

#[server(prefix = "/api", endpoint = "sign_up_event")]
pub async fn sign_up_event(event: i64, cancel: Option<String>) -> Result<(), AppError> {
    use crate::server::{auth, db, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let e = ssr::load(&mut conn, &user, event).await?;
    if !crate::domain::in_subtree(&e.unit_path, &user.unit_path) {
        return Err(AppError::NotFound);
    }
    if e.card.past {
        return Err(AppError::field("event", "events.err_past"));
    }
    if cancel.is_some() {
        if e.card.attended {
            return Err(AppError::field("event", "events.err_attended"));
        }
        sqlx::query("delete from event_signup where event_id = $1 and user_id = $2")
            .bind(event)
            .bind(user.id)
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    if e.card.mine {
        return Ok(());
    }
    if e.card.signed_up >= e.card.capacity {
        return Err(AppError::field("event", "events.err_full"));
    }
    sqlx::query("insert into event_signup (event_id, user_id, signed_at) values ($1, $2, $3)")
        .bind(event)
        .bind(user.id)
        .bind(db::now())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "check_in_event")]
pub async fn check_in_event(event: i64, code: String) -> Result<(), AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let e = ssr::load(&mut conn, &user, event).await?;
    if !e.card.mine {
        return Err(AppError::field("code", "events.err_not_signed_up"));
    }
    if !e.card.running {
        return Err(AppError::field("code", "events.err_not_running"));
    }
    let typed: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
    if typed != e.code {
        return Err(AppError::field("code", "events.err_code"));
    }
    ssr::set_attended(&mut conn, &e, user.id, true, None).await
}

#[server(prefix = "/api", endpoint = "events_admin")]
pub async fn events_admin() -> Result<EventsAdminView, AppError> {
    use crate::server::{auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let names = crate::library::ssr_industries(&mut conn).await?;
    let rows: Vec<i64> = sqlx::query_scalar(
        "select e.event_id from training_event e join unit un on un.unit_id = e.unit_id \
         where un.path like $1 || '%' order by e.starts_at desc",
    )
    .bind(&admin.unit_path)
    .fetch_all(&mut *conn)
    .await?;
    let mut events = Vec::new();
    for id in rows {
        events.push(ssr::load(&mut conn, &admin, id).await?.card);
    }
    Ok(EventsAdminView {
        events,
        industries: names,
    })
}

#[server(prefix = "/api", endpoint = "create_event")]
pub async fn create_event(
    kind: String,
    title: String,
    industry: String,
    place: String,
    starts_at: String,
    ends_at: String,
    hours: String,
    capacity: String,
) -> Result<i64, AppError> {
    use crate::server::{audit, auth, db, state::app_state};
    let admin = auth::require_admin().await?;
    if !["class", "site_visit"].contains(&kind.as_str()) {
        return Err(AppError::field("kind", "events.err_kind"));
    }
    let title = title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 80 {
        return Err(AppError::field("title", "events.err_title"));
    }
    let place = place.trim().to_owned();
    if place.is_empty() || place.chars().count() > 120 {
        return Err(AppError::field("place", "events.err_place"));
    }
    let (Some(start), Some(end)) = (parse_local(&starts_at), parse_local(&ends_at)) else {
        return Err(AppError::field("starts_at", "events.err_time"));
    };
    if end <= start || end - start > 14 * 86_400 {
        return Err(AppError::field("ends_at", "events.err_time"));
    }
    let hundredths = rules::parse_hours(&hours)
        .filter(|h| (25..=8000).contains(h))
        .ok_or(AppError::field("hours", "events.err_hours"))?;
    let capacity: i64 = capacity
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=5000).contains(n))
        .ok_or(AppError::field("capacity", "events.err_capacity"))?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let names = crate::library::ssr_industries(&mut tx).await?;
    let industry = (!industry.is_empty()).then_some(industry);
    if industry
        .as_ref()
        .is_some_and(|i| !names.iter().any(|(id, _)| id == i))
    {
        return Err(AppError::field("industry", "events.err_industry"));
    }
    let id: i64 = sqlx::query_scalar(
        "insert into training_event (kind, title, industry, place, starts_at, ends_at, hundredths, capacity, unit_id, \
         checkin_code, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning event_id",
    )
    .bind(&kind)
    .bind(&title)
    .bind(&industry)
    .bind(&place)
    .bind(start)
    .bind(end)
    .bind(hundredths)
    .bind(capacity)
    .bind(admin.unit_id)
    .bind(ssr::checkin_code())
    .bind(admin.id)
    .bind(db::now())
    .fetch_one(&mut *tx)
    .await?;
    audit::by(
        &mut tx,
        &admin,
        "event.create",
        &format!("event:{id}"),
        &title,
        &admin.unit_path,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/admin/events/{id}"));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "get_admin_event")]
pub async fn get_admin_event(id: i64) -> Result<AdminEvent, AppError> {
    use crate::server::{auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let e = ssr::load(&mut conn, &admin, id).await?;
    if !admin.scopes(&e.unit_path) {
        return Err(AppError::NotFound);
    }
    let roster: Vec<(i64, String, String, Option<i64>)> = sqlx::query_as(
        "select u.user_id, u.display_name, un.name, s.attended_at from event_signup s \
         join app_user u on u.user_id = s.user_id join unit un on un.unit_id = u.unit_id \
         where s.event_id = $1 order by un.path, u.display_name",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(AdminEvent {
        card: e.card,
        code: e.code,
        roster: roster
            .into_iter()
            .map(|(user_id, name, unit, at)| RosterRow {
                user_id,
                name,
                unit,
                attended: at.is_some(),
            })
            .collect(),
    })
}

#[server(prefix = "/api", endpoint = "mark_attendance")]
pub async fn mark_attendance(event: i64, user: i64, attended: String) -> Result<(), AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let e = ssr::load(&mut tx, &admin, event).await?;
    if !admin.scopes(&e.unit_path) {
        return Err(AppError::NotFound);
    }
    let signed: Option<i64> =
        sqlx::query_scalar("select 1 from event_signup where event_id = $1 and user_id = $2")
            .bind(event)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
    if signed.is_none() {
        return Err(AppError::NotFound);
    }
    let yes = attended == "yes";
    ssr::set_attended(&mut tx, &e, user, yes, Some(admin.id)).await?;
    audit::by(
        &mut tx,
        &admin,
        if yes {
            "event.attended"
        } else {
            "event.absent"
        },
        &format!("event:{event}"),
        &format!("user {user}"),
        &e.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ------------------------------------------------------------------------------------------------- pages

fn kind_label(kind: &str) -> String {
    t(&format!("events.kind_{kind}"))
}

fn when(e: &EventCard) -> String {
    format!(
        "{} – {}",
        crate::ui::format_time(e.starts_at),
        crate::ui::format_time(e.ends_at)
    )
}

#[component]
pub fn EventsPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let sign = ServerAction::<SignUpEvent>::new();
    let check_in = ServerAction::<CheckInEvent>::new();
    let data = Resource::new(
        move || (sign.version().get(), check_in.version().get()),
        |_| list_events(),
    );
    view! { <Protected><EventsBody sign check_in data/></Protected> }
}

#[component]
fn EventsBody(
    sign: ServerAction<SignUpEvent>,
    check_in: ServerAction<CheckInEvent>,
    data: Resource<Result<Vec<EventCard>, AppError>>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("events.title")/>
        <PageHeader title=t("events.title") subtitle=t("events.hint")/>
        <ActionFeedback action=sign/>
        <ActionFeedback action=check_in ok_key="events.checked_in"/>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(list) if list.is_empty() => view! { <Empty title=t("events.none") hint=t("events.none_hint")/> }.into_any(),
                    Ok(list) => view! {
                        <div class="grid cards">
                            {list.into_iter().map(|e| {
                                let id = e.id.to_string();
                                let full = e.signed_up >= e.capacity;
                                view! {
                                    <section class="card event" id=format!("event-{}", e.id)>
                                        <p>
                                            <span class="tag">{kind_label(&e.kind)}</span>
                                            {(!e.industry.is_empty()).then(|| view! { <span class="tag">{e.industry.clone()}</span> })}
                                            {e.attended.then(|| view! { <span class="tag tag-ok">{t("events.attended")}</span> })}
                                        </p>
                                        <h2>{e.title.clone()}</h2>
                                        <p class="small">{when(&e)}<br/>{e.place.clone()}<br/>
                                            {t_with("events.facts", &[("hours", &format_hours(e.hundredths)), ("n", &e.signed_up.to_string()), ("cap", &e.capacity.to_string()), ("unit", &e.unit)])}
                                        </p>
                                        {if e.past {
                                            ().into_any()
                                        } else if e.mine && !e.attended {
                                            view! {
                                                {e.running.then(|| { let id = id.clone(); view! {
                                                    <ActionForm action=check_in attr:class="form-inline checkin">
                                                        <input type="hidden" name="event" value=id.clone()/>
                                                        <label for=format!("code-{id}")>{t("events.code")}</label>
                                                        <input id=format!("code-{id}") name="code" inputmode="numeric" maxlength="6" required autocomplete="off"/>
                                                        <button type="submit" class="btn btn-primary">{t("events.check_in")}</button>
                                                    </ActionForm>
                                                }})}
                                                <ActionForm action=sign attr:class="inline">
                                                    <input type="hidden" name="event" value=id.clone()/>
                                                    <input type="hidden" name="cancel" value="1"/>
                                                    <button type="submit" class="btn btn-small">{t("events.cancel")}</button>
                                                </ActionForm>
                                            }.into_any()
                                        } else if !e.mine {
                                            view! {
                                                <ActionForm action=sign attr:class="inline">
                                                    <input type="hidden" name="event" value=id.clone()/>
                                                    <button type="submit" class="btn btn-primary" disabled=full>{t(if full { "events.full" } else { "events.sign_up" })}</button>
                                                </ActionForm>
                                            }.into_any()
                                        } else {
                                            ().into_any()
                                        }}
                                    </section>
                                }
                            }).collect_view()}
                        </div>
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn EventsAdminPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let create = ServerAction::<CreateEvent>::new();
    let data = Resource::new(|| (), |_| events_admin());
    view! { <Protected role=Role::Admin><EventsAdminBody create data/></Protected> }
}

#[component]
fn EventsAdminBody(
    create: ServerAction<CreateEvent>,
    data: Resource<Result<EventsAdminView, AppError>>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("events.admin_title")/>
        <PageHeader title=t("events.admin_title")/>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! {
                        <section class="card">
                            <h2>{t("events.new")}</h2>
                            <ActionFeedback action=create/>
                            <ActionForm action=create attr:class="form form-grid" attr:id="event-form">
                                <label>{t("events.kind")}<select name="kind">
                                    <option value="class">{kind_label("class")}</option>
                                    <option value="site_visit">{kind_label("site_visit")}</option>
                                </select></label>
                                <label>{t("events.industry")}<select name="industry">
                                    <option value="">{t("events.no_industry")}</option>
                                    {v.industries.iter().map(|(id, n)| view! { <option value=id.clone()>{n.clone()}</option> }).collect_view()}
                                </select></label>
                                <label>{t("events.field_title")}<input name="title" required maxlength="80"/></label>
                                <label>{t("events.place")}<input name="place" required maxlength="120"/></label>
                                <label>{t("events.starts")}<input name="starts_at" type="datetime-local" required/></label>
                                <label>{t("events.ends")}<input name="ends_at" type="datetime-local" required/></label>
                                <label>{t("events.hours")}<input name="hours" inputmode="decimal" required value="4"/></label>
                                <label>{t("events.capacity")}<input name="capacity" inputmode="numeric" required value="40"/></label>
                                <button type="submit" class="btn btn-primary">{t("events.create")}</button>
                            </ActionForm>
                        </section>
                        {if v.events.is_empty() {
                            view! { <Empty title=t("events.none") hint=t("events.admin_none_hint")/> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap"><table class="table">
                                    <thead><tr><th>{t("events.field_title")}</th><th>{t("events.when")}</th><th>{t("events.signed")}</th></tr></thead>
                                    <tbody>{v.events.into_iter().map(|e| view! {
                                        <tr>
                                            <td><a href=format!("/admin/events/{}", e.id)>{e.title.clone()}</a><br/><span class="small muted">{kind_label(&e.kind)}{" · "}{e.unit.clone()}</span></td>
                                            <td class="small">{when(&e)}</td>
                                            <td>{format!("{}/{}", e.signed_up, e.capacity)}</td>
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

#[component]
pub fn EventAdminPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let mark = ServerAction::<MarkAttendance>::new();
    let data = Resource::new(
        move || (id(), mark.version().get()),
        |(id, _)| get_admin_event(id),
    );
    view! { <Protected role=Role::Admin><EventAdminBody mark data/></Protected> }
}

#[component]
fn EventAdminBody(
    mark: ServerAction<MarkAttendance>,
    data: Resource<Result<AdminEvent, AppError>>,
) -> impl IntoView {
    view! {
        <p><a href="/admin/events">{t("events.back")}</a></p>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => {
                        let event_id = v.card.id.to_string();
                        view! {
                            <leptos_meta::Title text=v.card.title.clone()/>
                            <PageHeader title=v.card.title.clone() subtitle=format!("{} · {}", kind_label(&v.card.kind), v.card.place)/>
                            <section class="card checkin-code">
                                <p class="small muted">{t("events.show_code")}{" "}{when(&v.card)}</p>
                                <p class="big-code" id="checkin-code">{v.code.clone()}</p>
                            </section>
                            <ActionFeedback action=mark/>
                            {if v.roster.is_empty() {
                                view! { <Empty title=t("events.no_signups") hint=t("events.no_signups_hint")/> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap"><table class="table">
                                        <thead><tr><th>{t("events.person")}</th><th>{t("events.unit")}</th><th>{t("events.attendance")}</th></tr></thead>
                                        <tbody>{v.roster.into_iter().map(|r| {
                                            let eid = event_id.clone();
                                            view! {
                                                <tr>
                                                    <td>{r.name.clone()}</td><td>{r.unit.clone()}</td>
                                                    <td>
                                                        <ActionForm action=mark attr:class="inline">
                                                            <input type="hidden" name="event" value=eid/>
                                                            <input type="hidden" name="user" value=r.user_id.to_string()/>
                                                            <input type="hidden" name="attended" value=if r.attended { "no" } else { "yes" }/>
                                                            {if r.attended {
                                                                view! { <span class="tag tag-ok">{t("events.attended")}</span><button type="submit" class="btn btn-small">{t("events.unmark")}</button> }.into_any()
                                                            } else {
                                                                view! { <button type="submit" class="btn btn-small">{t("events.mark")}</button> }.into_any()
                                                            }}
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}</tbody>
                                    </table></div>
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
