//! The organisation tree: an admin sees their subtree, adds units below any unit in it and renames those below
//! their own.

use crate::accounts::Protected;
use crate::domain::{Role, UnitLevel};
use crate::error::AppError;
use crate::i18n::t;
use crate::ui::{ActionFeedback, PageHeader};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub level: UnitLevel,
    pub parent_id: Option<i64>,
    /// Depth below the admin's own unit, for indentation.
    pub indent: usize,
    /// Only units strictly below the admin's own may be renamed by them.
    pub editable: bool,
    pub user_count: i64,
}

/// The admin's subtree in tree order (each unit followed by its children, siblings by code).
#[server(prefix = "/api", endpoint = "list_units")]
pub async fn list_units() -> Result<Vec<UnitView>, AppError> {
    use crate::server::{auth, state::app_state, units};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let rows = units::subtree(&mut conn, &admin.unit_path).await?;
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "select u.unit_id, count(*) from app_user u join unit un on un.unit_id = u.unit_id \
         where un.path like $1 || '%' group by u.unit_id",
    )
    .bind(&admin.unit_path)
    .fetch_all(&mut *conn)
    .await?;
    let base_depth = rows.iter().map(|r| r.level).min().unwrap_or(0);
    let mut out = Vec::with_capacity(rows.len());
    fn walk(
        rows: &[crate::server::units::UnitRow],
        parent: Option<i64>,
        root: bool,
        counts: &[(i64, i64)],
        base: i64,
        own: i64,
        out: &mut Vec<UnitView>,
    ) {
        let mut children: Vec<_> = rows
            .iter()
            .filter(|r| {
                if root {
                    !rows.iter().any(|p| Some(p.unit_id) == r.parent_id)
                } else {
                    r.parent_id == parent
                }
            })
            .collect();
        children.sort_by(|a, b| a.code.cmp(&b.code));
        for r in children {
            let Some(level) = UnitLevel::from_depth(r.level) else {
                continue;
            };
            out.push(UnitView {
                id: r.unit_id,
                code: r.code.clone(),
                name: r.name.clone(),
                level,
                parent_id: r.parent_id,
                indent: (r.level - base).max(0) as usize,
                editable: r.unit_id != own,
                user_count: counts
                    .iter()
                    .find(|(id, _)| *id == r.unit_id)
                    .map(|(_, n)| *n)
                    .unwrap_or(0),
            });
            walk(rows, Some(r.unit_id), false, counts, base, own, out);
        }
    }
    walk(
        &rows,
        None,
        true,
        &counts,
        base_depth,
        admin.unit_id,
        &mut out,
    );
    Ok(out)
}

#[server(prefix = "/api", endpoint = "create_unit")]
#[tracing::instrument(skip_all)]
pub async fn create_unit(parent_id: i64, code: String, name: String) -> Result<i64, AppError> {
    use crate::domain::{parse_unit_code, parse_unit_name};
    use crate::server::{audit, auth, db, state::app_state, units};
    let admin = auth::require_admin().await?;
    let code = parse_unit_code(&code).map_err(|e| AppError::invalid("code", e))?;
    let name = parse_unit_name(&name).map_err(|e| AppError::invalid("name", e))?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let parent = super::scope::unit_in_scope(&mut tx, &admin, parent_id).await?;
    let level = UnitLevel::from_depth(parent.level)
        .and_then(UnitLevel::child)
        .ok_or_else(|| AppError::field("parent_id", "err.unit_too_deep"))?;
    let id = match units::insert(&mut tx, Some(&parent), &code, &name, level.depth()).await {
        Ok(id) => id,
        Err(e) if db::is_unique_violation(&e) => {
            return Err(AppError::field("code", "err.unit_code_taken"));
        }
        Err(e) => return Err(e.into()),
    };
    audit::by(&mut tx, &admin, "unit.create", &code, &name, &parent.path).await?;
    tx.commit().await?;
    Ok(id)
}

#[server(prefix = "/api", endpoint = "update_unit")]
#[tracing::instrument(skip_all)]
pub async fn update_unit(unit_id: i64, code: String, name: String) -> Result<(), AppError> {
    use crate::domain::{parse_unit_code, parse_unit_name};
    use crate::server::{audit, auth, db, state::app_state, units};
    let admin = auth::require_admin().await?;
    let code = parse_unit_code(&code).map_err(|e| AppError::invalid("code", e))?;
    let name = parse_unit_name(&name).map_err(|e| AppError::invalid("name", e))?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let unit = super::scope::unit_in_scope(&mut tx, &admin, unit_id).await?;
    if unit.unit_id == admin.unit_id {
        return Err(AppError::Forbidden);
    }
    match units::update(&mut tx, unit_id, &code, &name).await {
        Ok(()) => {}
        Err(e) if db::is_unique_violation(&e) => {
            return Err(AppError::field("code", "err.unit_code_taken"));
        }
        Err(e) => return Err(e.into()),
    }
    let detail = format!("{} {} → {} {}", unit.code, unit.name, code, name);
    audit::by(&mut tx, &admin, "unit.update", &code, &detail, &unit.path).await?;
    tx.commit().await?;
    Ok(())
}

#[component]
pub fn UnitsPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let create = ServerAction::<CreateUnit>::new();
    let update = ServerAction::<UpdateUnit>::new();
    let units = Resource::new(
        move || (create.version().get(), update.version().get()),
        |_| list_units(),
    );
    view! { <Protected role=Role::Admin><UnitsBody create update units/></Protected> }
}

#[component]
fn UnitsBody(
    create: ServerAction<CreateUnit>,
    update: ServerAction<UpdateUnit>,
    units: Resource<Result<Vec<UnitView>, AppError>>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("units.title")/>
        <PageHeader title=t("units.title") subtitle=t("units.subtitle")/>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match units.await {
                    Ok(list) => view! { <UnitsView list create update/> }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UnitsView(
    list: Vec<UnitView>,
    create: ServerAction<CreateUnit>,
    update: ServerAction<UpdateUnit>,
) -> impl IntoView {
    let parents: Vec<UnitView> = list
        .iter()
        .filter(|u| u.level.child().is_some())
        .cloned()
        .collect();
    view! {
        <div class="two-col">
            <section class="card">
                <h2>{t("units.tree")}</h2>
                <ActionFeedback action=update ok_key="common.saved"/>
                <ul class="tree">
                    {list.into_iter().map(|u| view! { <UnitRowView u update/> }).collect_view()}
                </ul>
            </section>
            <section class="card">
                <h2>{t("units.create")}</h2>
                <ActionFeedback action=create ok_key="units.created"/>
                <ActionForm action=create attr:class="form">
                    <label for="parent_id">{t("units.parent")}</label>
                    <select id="parent_id" name="parent_id" required>
                        {parents.into_iter().map(|p| {
                            let label = format!("{}{} ({})", "　".repeat(p.indent), p.name, p.code);
                            view! { <option value=p.id.to_string()>{label}</option> }
                        }).collect_view()}
                    </select>
                    <label for="new_code">{t("units.code")}</label>
                    <input id="new_code" name="code" type="text" required maxlength="32" placeholder="ZJ-HZ-XH"
                        autocapitalize="characters"/>
                    <p class="hint">{t("units.code_hint")}</p>
                    <label for="new_name">{t("units.name")}</label>
                    <input id="new_name" name="name" type="text" required maxlength="60"/>
                    <button type="submit" class="btn btn-primary">{t("units.create_submit")}</button>
                </ActionForm>
            </section>
        </div>
    }
}

#[component]
fn UnitRowView(u: UnitView, update: ServerAction<UpdateUnit>) -> impl IntoView {
    let style = format!("padding-left:{}rem", u.indent as f32 * 1.25);
    let level = t(u.level.label_key());
    let people = crate::i18n::t_with("units.people", &[("n", &u.user_count.to_string())]);
    view! {
        <li style=style>
            <div class="tree-row">
                <span class="tree-name">{u.name.clone()}</span>
                <span class="tag">{level}</span>
                <code class="muted">{u.code.clone()}</code>
                <span class="muted small">{people}</span>
            </div>
            {u.editable.then(|| view! {
                <details class="edit">
                    <summary>{t("common.edit")}</summary>
                    <ActionForm action=update attr:class="form form-inline">
                        <input type="hidden" name="unit_id" value=u.id.to_string()/>
                        <label>{t("units.code")}<input name="code" type="text" required value=u.code.clone()/></label>
                        <label>{t("units.name")}<input name="name" type="text" required value=u.name.clone()/></label>
                        <button type="submit" class="btn btn-small">{t("common.save")}</button>
                    </ActionForm>
                </details>
            })}
        </li>
    }
}
