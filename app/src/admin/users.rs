//! People: the admin lists, creates, edits, disables and resets the passwords of users in their subtree.

use super::units::{UnitView, list_units};
use crate::accounts::Protected;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, t_with};
use crate::ui::{ActionFeedback, Empty, PageHeader};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub roles: Vec<Role>,
    pub cert_no: Option<String>,
    pub active: bool,
    pub must_change_password: bool,
    pub locked: bool,
    pub last_login_at: Option<i64>,
}

#[cfg(feature = "ssr")]
async fn to_view(
    conn: &mut sqlx::AnyConnection,
    row: crate::server::users::UserListRow,
) -> Result<UserView, AppError> {
    let roles = crate::server::users::roles_of(conn, row.user_id).await?;
    Ok(UserView {
        id: row.user_id,
        username: row.username,
        display_name: row.display_name,
        unit_id: row.unit_id,
        unit_name: row.unit_name,
        roles,
        cert_no: row.cert_no,
        active: row.active != 0,
        must_change_password: row.must_change_password != 0,
        locked: row
            .locked_until
            .is_some_and(|t| t > crate::server::db::now()),
        last_login_at: row.last_login_at,
    })
}

#[cfg(feature = "ssr")]
/// Roles from the three checkboxes of the user forms (a checked box sends a value, an unchecked one nothing).
fn roles_from_boxes(
    trainee: &Option<String>,
    examiner: &Option<String>,
    admin: &Option<String>,
) -> Vec<Role> {
    [
        (trainee, Role::Trainee),
        (examiner, Role::Examiner),
        (admin, Role::Admin),
    ]
    .into_iter()
    .filter(|(b, _)| b.is_some())
    .map(|(_, r)| r)
    .collect()
}

#[server(prefix = "/api", endpoint = "list_users")]
pub async fn list_users(query: String) -> Result<Vec<UserView>, AppError> {
    use crate::server::{auth, state::app_state, users};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let rows = users::list(&mut conn, &admin.unit_path, &query, 500).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(to_view(&mut conn, row).await?);
    }
    Ok(out)
}

#[server(prefix = "/api", endpoint = "get_user")]
pub async fn get_user(user_id: i64) -> Result<UserView, AppError> {
    use crate::server::{auth, state::app_state, users};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let row = users::get(&mut conn, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !admin.scopes(&row.unit_path) {
        return Err(AppError::Forbidden);
    }
    to_view(&mut conn, row).await
}

#[server(prefix = "/api", endpoint = "create_user")]
#[tracing::instrument(skip_all)]
pub async fn create_user(
    username: String,
    display_name: String,
    unit_id: i64,
    cert_no: String,
    password: String,
    role_trainee: Option<String>,
    role_examiner: Option<String>,
    role_admin: Option<String>,
) -> Result<i64, AppError> {
    use crate::domain::{NewPassword, Username, parse_cert_no, parse_display_name};
    use crate::server::{audit, auth, db, state::app_state, users};
    let admin = auth::require_admin().await?;
    let username = Username::parse(&username).map_err(|e| AppError::invalid("username", e))?;
    let display_name =
        parse_display_name(&display_name).map_err(|e| AppError::invalid("display_name", e))?;
    let cert_no = parse_cert_no(&cert_no).map_err(|e| AppError::invalid("cert_no", e))?;
    let password = NewPassword::parse(&password).map_err(|e| AppError::invalid("password", e))?;
    let roles = roles_from_boxes(&role_trainee, &role_examiner, &role_admin);
    if roles.is_empty() {
        return Err(AppError::field("roles", "err.roles_empty"));
    }
    let state = app_state()?;
    let hash = auth::hash_password(&password).await?;
    let mut tx = state.pool.begin().await?;
    let unit = super::scope::unit_in_scope(&mut tx, &admin, unit_id).await?;
    let new = users::NewUser {
        username: username.as_str().to_owned(),
        display_name,
        unit_id: unit.unit_id,
        roles: roles.clone(),
        cert_no,
        password_hash: hash,
        must_change_password: true,
    };
    let id = match users::insert(&mut tx, &new).await {
        Ok(id) => id,
        Err(e) if db::is_unique_violation(&e) => {
            return Err(AppError::field("username", "err.username_taken"));
        }
        Err(e) => return Err(e.into()),
    };
    let roles_text = roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",");
    audit::by(
        &mut tx,
        &admin,
        "user.create",
        username.as_str(),
        &format!("unit={} roles={roles_text}", unit.code),
        &unit.path,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/admin/users?created={}", username.as_str()));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "update_user")]
#[tracing::instrument(skip_all)]
pub async fn update_user(
    user_id: i64,
    display_name: String,
    unit_id: i64,
    cert_no: String,
    active: Option<String>,
    role_trainee: Option<String>,
    role_examiner: Option<String>,
    role_admin: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::{parse_cert_no, parse_display_name};
    use crate::server::{audit, auth, state::app_state, users};
    let admin = auth::require_admin().await?;
    let display_name =
        parse_display_name(&display_name).map_err(|e| AppError::invalid("display_name", e))?;
    let cert_no = parse_cert_no(&cert_no).map_err(|e| AppError::invalid("cert_no", e))?;
    let roles = roles_from_boxes(&role_trainee, &role_examiner, &role_admin);
    if roles.is_empty() {
        return Err(AppError::field("roles", "err.roles_empty"));
    }
    let active = active.is_some();
    if user_id == admin.id && (!active || !roles.contains(&Role::Admin)) {
        // An admin cannot lock themselves out by accident.
        return Err(AppError::field("active", "err.self_demote"));
    }
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let row = users::get(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !admin.scopes(&row.unit_path) {
        return Err(AppError::Forbidden);
    }
    let unit = super::scope::unit_in_scope(&mut tx, &admin, unit_id).await?;
    users::update(
        &mut tx,
        user_id,
        &display_name,
        unit.unit_id,
        cert_no.as_deref(),
        active,
    )
    .await?;
    users::set_roles(&mut tx, user_id, &roles).await?;
    if !active {
        users::end_sessions(&mut tx, user_id, None).await?;
    }
    let roles_text = roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let detail = format!("unit={} roles={roles_text} active={active}", unit.code);
    audit::by(
        &mut tx,
        &admin,
        "user.update",
        &row.username,
        &detail,
        &unit.path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "reset_password")]
#[tracing::instrument(skip_all)]
pub async fn reset_password(user_id: i64, password: String) -> Result<(), AppError> {
    use crate::domain::NewPassword;
    use crate::server::{audit, auth, state::app_state, users};
    let admin = auth::require_admin().await?;
    let password = NewPassword::parse(&password).map_err(|e| AppError::invalid("password", e))?;
    let state = app_state()?;
    let hash = auth::hash_password(&password).await?;
    let mut tx = state.pool.begin().await?;
    let row = users::get(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !admin.scopes(&row.unit_path) {
        return Err(AppError::Forbidden);
    }
    users::set_password(&mut tx, user_id, &hash, true).await?;
    users::end_sessions(&mut tx, user_id, None).await?;
    audit::by(
        &mut tx,
        &admin,
        "user.reset_password",
        &row.username,
        "",
        &row.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[component]
pub fn UsersPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let users = Resource::new(q, list_users);
    view! { <Protected role=Role::Admin><UsersBody users/></Protected> }
}

#[component]
fn UsersBody(users: Resource<Result<Vec<UserView>, AppError>>) -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let created = move || query.with(|m| m.get("created"));
    view! {
        <leptos_meta::Title text=t("users.title")/>
        <PageHeader title=t("users.title") subtitle=t("users.subtitle")>
            <a class="btn btn-primary" href="/admin/users/new">{t("users.new")}</a>
            <a class="btn" href="/admin/import">{t("nav.import")}</a>
        </PageHeader>
        {move || created().map(|name| view! {
            <p class="alert alert-ok" role="status">{t_with("users.created", &[("name", &name)])}</p>
        })}
        <form method="get" action="/admin/users" class="search">
            <input type="search" name="q" value=q aria-label=t("users.search") placeholder=t("users.search")/>
            <button type="submit" class="btn">{t("common.search")}</button>
        </form>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) if list.is_empty() => view! {
                        <Empty title=t("users.empty") hint=t("users.empty_hint")/>
                    }.into_any(),
                    Ok(list) => view! { <UserTable list/> }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserTable(list: Vec<UserView>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table responsive">
                <thead>
                    <tr>
                        <th>{t("users.name")}</th>
                        <th>{t("users.username")}</th>
                        <th>{t("users.unit")}</th>
                        <th>{t("users.roles")}</th>
                        <th>{t("users.status")}</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|u| {
                        let roles = u.roles.iter().map(|r| t(r.label_key())).collect::<Vec<_>>().join("、");
                        let href = format!("/admin/users/{}", u.id);
                        view! {
                            <tr>
                                <td data-label=t("users.name")><strong>{u.display_name.clone()}</strong></td>
                                <td data-label=t("users.username")><code>{u.username.clone()}</code></td>
                                <td data-label=t("users.unit")>{u.unit_name.clone()}</td>
                                <td data-label=t("users.roles")>{roles}</td>
                                <td data-label=t("users.status")><StatusTags u=u.clone()/></td>
                                <td><a href=href class="btn btn-small">{t("common.edit")}</a></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn StatusTags(u: UserView) -> impl IntoView {
    view! {
        <span class="tags">
            {if u.active {
                view! { <span class="tag tag-ok">{t("users.active")}</span> }.into_any()
            } else {
                view! { <span class="tag tag-off">{t("users.disabled")}</span> }.into_any()
            }}
            {u.locked.then(|| view! { <span class="tag tag-warn">{t("users.locked")}</span> })}
            {u.must_change_password.then(|| view! { <span class="tag">{t("users.must_change")}</span> })}
        </span>
    }
}

/// The unit picker shared by the create and edit forms.
#[component]
fn UnitSelect(units: Vec<UnitView>, #[prop(optional)] selected: Option<i64>) -> impl IntoView {
    view! {
        <select id="unit_id" name="unit_id" required>
            {units.into_iter().map(|u| {
                let label = format!("{}{} ({})", "　".repeat(u.indent), u.name, u.code);
                view! { <option value=u.id.to_string() selected=selected == Some(u.id)>{label}</option> }
            }).collect_view()}
        </select>
    }
}

#[component]
fn RoleBoxes(#[prop(optional)] roles: Vec<Role>) -> impl IntoView {
    view! {
        <fieldset class="checks">
            <legend>{t("users.roles")}</legend>
            {Role::ALL.into_iter().map(|r| {
                let name = format!("role_{}", r.as_str());
                view! {
                    <label class="check">
                        <input type="checkbox" name=name value="on" checked=roles.contains(&r)/>
                        {t(r.label_key())}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

#[component]
pub fn UserNewPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let create = ServerAction::<CreateUser>::new();
    let units = Resource::new(|| (), |_| list_units());
    view! { <Protected role=Role::Admin><UserNewBody create units/></Protected> }
}

#[component]
fn UserNewBody(
    create: ServerAction<CreateUser>,
    units: Resource<Result<Vec<UnitView>, AppError>>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("users.new")/>
        <div class="narrow">
            <PageHeader title=t("users.new") subtitle=t("users.new_hint")/>
            <Suspense fallback=crate::ui::Loading>
                {move || Suspend::new(async move {
                    match units.await {
                        Ok(units) => view! {
                            <div class="card">
                                <ActionFeedback action=create/>
                                <ActionForm action=create attr:class="form">
                                    <label for="username">{t("users.username")}</label>
                                    <input id="username" name="username" type="text" required autocapitalize="none"
                                        spellcheck="false" maxlength="32"/>
                                    <p class="hint">{t("users.username_hint")}</p>
                                    <label for="display_name">{t("users.name")}</label>
                                    <input id="display_name" name="display_name" type="text" required maxlength="40"/>
                                    <label for="unit_id">{t("users.unit")}</label>
                                    <UnitSelect units/>
                                    <RoleBoxes roles=vec![Role::Trainee]/>
                                    <label for="cert_no">{t("users.cert_no")}</label>
                                    <input id="cert_no" name="cert_no" type="text" maxlength="32"/>
                                    <label for="password">{t("users.initial_password")}</label>
                                    <input id="password" name="password" type="text" required minlength="8"
                                        autocomplete="off"/>
                                    <p class="hint">{t("users.initial_password_hint")}</p>
                                    <button type="submit" class="btn btn-primary">{t("users.create_submit")}</button>
                                </ActionForm>
                            </div>
                        }.into_any(),
                        Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
pub fn UserEditPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let update = ServerAction::<UpdateUser>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let data = Resource::new(
        move || (id(), update.version().get(), reset.version().get()),
        |(id, _, _)| async move { Ok::<_, AppError>((get_user(id).await?, list_units().await?)) },
    );
    view! { <Protected role=Role::Admin><UserEditBody update reset data/></Protected> }
}

#[component]
fn UserEditBody(
    update: ServerAction<UpdateUser>,
    reset: ServerAction<ResetPassword>,
    data: Resource<Result<(UserView, Vec<UnitView>), AppError>>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("users.edit")/>
        <div class="narrow">
            <p><a href="/admin/users">{t("users.back")}</a></p>
            <Suspense fallback=crate::ui::Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((user, units)) => view! { <UserEditForms user units update reset/> }.into_any(),
                        Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn UserEditForms(
    user: UserView,
    units: Vec<UnitView>,
    update: ServerAction<UpdateUser>,
    reset: ServerAction<ResetPassword>,
) -> impl IntoView {
    let last_login = user
        .last_login_at
        .map(crate::ui::format_time)
        .unwrap_or_else(|| t("users.never"));
    view! {
        <PageHeader title=user.display_name.clone() subtitle=format!("{} · {}", user.username, user.unit_name)/>
        <p class="muted small">{t("users.last_login")}": "{last_login}" "<StatusTags u=user.clone()/></p>
        <div class="card">
            <h2>{t("users.edit")}</h2>
            <ActionFeedback action=update ok_key="common.saved"/>
            <ActionForm action=update attr:class="form">
                <input type="hidden" name="user_id" value=user.id.to_string()/>
                <label for="display_name">{t("users.name")}</label>
                <input id="display_name" name="display_name" type="text" required value=user.display_name.clone()/>
                <label for="unit_id">{t("users.unit")}</label>
                <UnitSelect units selected=user.unit_id/>
                <RoleBoxes roles=user.roles.clone()/>
                <label for="cert_no">{t("users.cert_no")}</label>
                <input id="cert_no" name="cert_no" type="text" value=user.cert_no.clone().unwrap_or_default()/>
                <label class="check">
                    <input type="checkbox" name="active" value="on" checked=user.active/>
                    {t("users.active_label")}
                </label>
                <button type="submit" class="btn btn-primary">{t("common.save")}</button>
            </ActionForm>
        </div>
        <div class="card">
            <h2>{t("users.reset_password")}</h2>
            <p class="muted small">{t("users.reset_hint")}</p>
            <ActionFeedback action=reset ok_key="users.reset_done"/>
            <ActionForm action=reset attr:class="form">
                <input type="hidden" name="user_id" value=user.id.to_string()/>
                <label for="reset_password">{t("users.initial_password")}</label>
                <input id="reset_password" name="password" type="text" required minlength="8" autocomplete="off"/>
                <button type="submit" class="btn">{t("users.reset_submit")}</button>
            </ActionForm>
        </div>
    }
}
