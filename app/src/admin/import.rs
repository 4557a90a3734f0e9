//! Roster import: an admin uploads a CSV or XLSX file of people; all rows go in, or none do and every bad row
//! is listed with its row, column and reason. The outcome is stored so the report survives the redirect and
//! works without JavaScript.

use crate::accounts::Protected;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, t_with};
use crate::ui::PageHeader;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// Largest roster file accepted.
#[cfg(feature = "ssr")]
const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportIssue {
    pub row: usize,
    pub column: Option<String>,
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub id: i64,
    pub file_name: String,
    pub created_at: i64,
    pub imported: bool,
    pub row_count: i64,
    pub issues: Vec<ImportIssue>,
}

#[server(prefix = "/api", endpoint = "import_roster", input = MultipartFormData)]
#[tracing::instrument(skip_all)]
pub async fn import_roster(data: MultipartData) -> Result<i64, AppError> {
    let admin = crate::server::auth::require_admin().await?;
    let mut multipart = data.into_inner().ok_or(AppError::Internal)?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(mut field)) = multipart.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("roster").to_owned();
        let mut bytes = Vec::new();
        while let Ok(Some(chunk)) = field.chunk().await {
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                return Err(AppError::field("file", "import.err_too_large"));
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((name, bytes));
    }
    let (file_name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::field("file", "import.err_no_file"))?;
    let id = ssr::run_import(&admin, &file_name, &bytes).await?;
    leptos_axum::redirect(&format!("/admin/import?id={id}"));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "get_import")]
pub async fn get_import(id: i64) -> Result<ImportReport, AppError> {
    let admin = crate::server::auth::require_admin().await?;
    ssr::load_report(&admin, id).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{ImportIssue, ImportReport};
    use crate::admin::roster::{self, Column, RowError};
    use crate::error::AppError;
    use crate::server::auth::{self, CurrentUser};
    use crate::server::state::app_state;
    use crate::server::{audit, db, units, users};

    fn issue(e: RowError) -> ImportIssue {
        ImportIssue {
            row: e.row,
            column: e.column.map(|c| c.header().to_owned()),
            key: e.key,
            value: e.value,
        }
    }

    pub async fn run_import(
        admin: &CurrentUser,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<i64, AppError> {
        let state = app_state()?;
        let mut issues = Vec::new();
        let mut to_insert = Vec::new();
        match roster::read_cells(file_name, bytes) {
            Err(key) => issues.push(ImportIssue {
                row: 0,
                column: None,
                key: key.into(),
                value: String::new(),
            }),
            Ok(cells) => {
                let (rows, errors) = roster::parse_rows(&cells);
                issues.extend(errors.into_iter().map(issue));
                let mut conn = state.pool.acquire().await?;
                for r in rows {
                    let mut bad = false;
                    match units::by_code(&mut conn, &r.unit_code).await? {
                        None => {
                            issues.push(issue(RowError {
                                row: r.row,
                                column: Some(Column::UnitCode),
                                key: "import.err_unit_unknown".into(),
                                value: r.unit_code.clone(),
                            }));
                            bad = true;
                        }
                        Some(u) if !admin.scopes(&u.path) => {
                            issues.push(issue(RowError {
                                row: r.row,
                                column: Some(Column::UnitCode),
                                key: "import.err_unit_scope".into(),
                                value: r.unit_code.clone(),
                            }));
                            bad = true;
                        }
                        Some(u) => to_insert.push((r.clone(), u.unit_id)),
                    }
                    if users::username_exists(&mut conn, r.username.as_str()).await? {
                        issues.push(issue(RowError {
                            row: r.row,
                            column: Some(Column::Username),
                            key: "err.username_taken".into(),
                            value: r.username.as_str().to_owned(),
                        }));
                        if !bad {
                            to_insert.pop();
                        }
                    }
                }
                issues.sort_by_key(|i| i.row);
            }
        }
        let imported = issues.is_empty() && !to_insert.is_empty();
        let mut hashed = Vec::with_capacity(to_insert.len());
        if imported {
            for (row, unit_id) in &to_insert {
                hashed.push((row, *unit_id, auth::hash_password(&row.password).await?));
            }
        }
        let mut tx = state.pool.begin().await?;
        if imported {
            for (row, unit_id, hash) in &hashed {
                let new = users::NewUser {
                    username: row.username.as_str().to_owned(),
                    display_name: row.display_name.clone(),
                    unit_id: *unit_id,
                    roles: row.roles.clone(),
                    cert_no: row.cert_no.clone(),
                    password_hash: hash.clone(),
                    must_change_password: true,
                };
                users::insert(&mut tx, &new).await?;
            }
        }
        let report =
            serde_json::to_string(&issues).map_err(|e| AppError::internal("import report", e))?;
        let row_count = if imported {
            hashed.len()
        } else {
            to_insert.len()
        } as i64;
        let id: i64 = sqlx::query_scalar(
            "insert into roster_import (created_by, created_at, file_name, imported, row_count, report) \
             values ($1, $2, $3, $4, $5, $6) returning import_id",
        )
        .bind(admin.id)
        .bind(db::now())
        .bind(file_name)
        .bind(i64::from(imported))
        .bind(row_count)
        .bind(report)
        .fetch_one(&mut *tx)
        .await?;
        let detail = format!(
            "file={file_name} imported={imported} rows={row_count} problems={}",
            issues.len()
        );
        audit::by(
            &mut tx,
            admin,
            "roster.import",
            &format!("import#{id}"),
            &detail,
            &admin.unit_path,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn load_report(admin: &CurrentUser, id: i64) -> Result<ImportReport, AppError> {
        let state = app_state()?;
        let mut conn = state.pool.acquire().await?;
        let row: Option<(i64, String, i64, i64, i64, String)> = sqlx::query_as(
            "select created_by, file_name, created_at, imported, row_count, report from roster_import \
             where import_id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let (created_by, file_name, created_at, imported, row_count, report) =
            row.ok_or(AppError::NotFound)?;
        // A report names people and units: only the admin who ran it may read it.
        if created_by != admin.id {
            return Err(AppError::NotFound);
        }
        let issues =
            serde_json::from_str(&report).map_err(|e| AppError::internal("import report", e))?;
        Ok(ImportReport {
            id,
            file_name,
            created_at,
            imported: imported != 0,
            row_count,
            issues,
        })
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let query = use_query_map();
    let report_id = move || query.with(|q| q.get("id").and_then(|v| v.parse::<i64>().ok()));
    let report = Resource::new(report_id, |id| async move {
        match id {
            Some(id) => get_import(id).await.map(Some),
            None => Ok(None),
        }
    });
    view! { <Protected role=Role::Admin><ImportBody report/></Protected> }
}

#[component]
fn ImportBody(report: Resource<Result<Option<ImportReport>, AppError>>) -> impl IntoView {
    let upload_error = {
        use leptos::server_fn::ServerFn;
        crate::ui::form_error_for(ImportRoster::PATH)
    };
    view! {
        <leptos_meta::Title text=t("import.title")/>
        <PageHeader title=t("import.title") subtitle=t("import.subtitle")/>
        <div class="two-col">
            <section class="card">
                <h2>{t("import.upload")}</h2>
                {upload_error.map(|err| view! {
                    <p class="alert alert-error" role="alert">{crate::ui::error_text(&err)}</p>
                })}
                // A plain multipart form: works without JavaScript; the server redirects to the report.
                <form method="post" action="/api/import_roster" enctype="multipart/form-data" class="form">
                    <label for="file">{t("import.file")}</label>
                    <input id="file" name="file" type="file" required
                        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>
                    <p class="hint">{t("import.file_hint")}</p>
                    <button type="submit" class="btn btn-primary">{t("import.submit")}</button>
                </form>
                <p><a href="/admin/import/template.csv" download="roster-template.csv">{t("import.template")}</a></p>
            </section>
            <section class="card">
                <h2>{t("import.columns")}</h2>
                <table class="table compact">
                    <thead><tr><th>{t("import.column")}</th><th>{t("import.meaning")}</th></tr></thead>
                    <tbody>
                        <tr><td>"用户名 / username"</td><td>{t("import.col_username")}</td></tr>
                        <tr><td>"姓名 / name"</td><td>{t("import.col_name")}</td></tr>
                        <tr><td>"单位代码 / unit_code"</td><td>{t("import.col_unit")}</td></tr>
                        <tr><td>"角色 / roles"</td><td>{t("import.col_roles")}</td></tr>
                        <tr><td>"执法证号 / cert_no"</td><td>{t("import.col_cert")}</td></tr>
                        <tr><td>"初始密码 / password"</td><td>{t("import.col_password")}</td></tr>
                    </tbody>
                </table>
            </section>
        </div>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(Some(r)) => view! { <ReportView r/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ReportView(r: ImportReport) -> impl IntoView {
    let when = crate::ui::format_time(r.created_at);
    let n = r.row_count.to_string();
    let problems = r.issues.len().to_string();
    view! {
        <section class="card report" id="import-report">
            <h2>{t("import.report")}" · "{r.file_name.clone()}</h2>
            <p class="muted small">{when}</p>
            {if r.imported {
                view! {
                    <p class="alert alert-ok" role="status">{t_with("import.done", &[("n", &n)])}</p>
                    <p><a class="btn" href="/admin/users">{t("import.see_users")}</a></p>
                }.into_any()
            } else {
                view! {
                    <p class="alert alert-error" role="alert">{t_with("import.failed", &[("problems", &problems)])}</p>
                    <div class="table-wrap">
                        <table class="table responsive">
                            <thead><tr>
                                <th>{t("import.row")}</th><th>{t("import.column")}</th><th>{t("import.reason")}</th>
                            </tr></thead>
                            <tbody>
                                {r.issues.into_iter().map(|i| {
                                    let reason = if i.value.is_empty() {
                                        t(&i.key)
                                    } else {
                                        format!("{}（{}）", t(&i.key), i.value)
                                    };
                                    view! {
                                        <tr>
                                            <td data-label=t("import.row")>{if i.row == 0 { "—".to_owned() } else { i.row.to_string() }}</td>
                                            <td data-label=t("import.column")>{i.column.unwrap_or_else(|| "—".into())}</td>
                                            <td data-label=t("import.reason")>{reason}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
