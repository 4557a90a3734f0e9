//! The audit log as an admin reads it: newest first, limited to their subtree.

use crate::accounts::Protected;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::t;
use crate::ui::PageHeader;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub id: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

#[server(prefix = "/api", endpoint = "list_audit")]
pub async fn list_audit() -> Result<Vec<AuditView>, AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let rows = audit::recent(&mut conn, &admin.unit_path, 300).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditView {
            id: r.audit_id,
            at: r.at,
            actor: r.actor_username,
            action: r.action,
            target: r.target,
            detail: r.detail,
            ip: r.ip,
        })
        .collect())
}

#[component]
pub fn AuditPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let events = Resource::new(|| (), |_| list_audit());
    view! { <Protected role=Role::Admin><AuditBody events/></Protected> }
}

#[component]
fn AuditBody(events: Resource<Result<Vec<AuditView>, AppError>>) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("audit.title")/>
        <PageHeader title=t("audit.title") subtitle=t("audit.subtitle")/>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="table responsive">
                                <thead><tr>
                                    <th>{t("audit.time")}</th><th>{t("audit.actor")}</th><th>{t("audit.action")}</th>
                                    <th>{t("audit.target")}</th><th>{t("audit.detail")}</th><th>"IP"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| {
                                        let action_key = format!("audit.actions.{}", e.action.replace('.', "_"));
                                        view! {
                                            <tr>
                                                <td data-label=t("audit.time")>{crate::ui::format_time(e.at)}</td>
                                                <td data-label=t("audit.actor")>{e.actor.unwrap_or_else(|| "—".into())}</td>
                                                <td data-label=t("audit.action")><span class="tag">{t(&action_key)}</span></td>
                                                <td data-label=t("audit.target")>{e.target}</td>
                                                <td data-label=t("audit.detail")>{e.detail}</td>
                                                <td data-label="IP"><code>{e.ip}</code></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
