//! Admins write and publish case studies and lessons in the browser: a Markdown editor with live preview,
//! the workflow draft → in review → published → archived, every save a version with who and when, a diff
//! between versions, and publication for the whole country or one unit's subtree.

use crate::accounts::Protected;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::t;
use crate::ui::{ActionFeedback, Empty, PageHeader};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentRow {
    pub kind: String,
    pub key: String,
    pub title: String,
    pub status: String,
    pub latest: i64,
    pub published: Option<i64>,
    pub scope: String,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i64,
    pub by: String,
    pub at: i64,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Draft {
    pub kind: String,
    pub key: String,
    pub title: String,
    pub act_date: String,
    pub industry: String,
    pub region: String,
    pub violations: String,
    pub basis: String,
    pub penalty: String,
    pub outcome: String,
    pub minutes: u32,
    pub body: String,
    pub scope_unit_id: Option<i64>,
    pub status: String,
    pub latest: i64,
    pub published: Option<i64>,
    pub versions: Vec<VersionRow>,
    /// Sanitised HTML of the body as saved.
    pub preview: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EditorChoices {
    pub industries: Vec<(String, String)>,
    /// Units the admin may publish to; `None` is the whole country (ministry admins only).
    pub scopes: Vec<(Option<i64>, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffLine {
    pub tag: char,
    pub text: String,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use crate::content::model::{CaseMeta, CaseStudy, Citation, Lesson, LessonMeta};
    use crate::server::auth::CurrentUser;
    use crate::server::content_store;
    use sqlx::{AnyConnection, Row};

    pub const KINDS: [&str; 2] = ["case", "lesson"];

    /// The admin may edit items of the country (ministry admins) or of a unit in their subtree.
    pub async fn scope_path(
        conn: &mut AnyConnection,
        scope_unit_id: Option<i64>,
    ) -> Result<String, AppError> {
        match scope_unit_id {
            None => Ok("/".into()),
            Some(id) => Ok(crate::server::units::get(conn, id)
                .await?
                .ok_or(AppError::NotFound)?
                .path),
        }
    }

    pub fn may_edit(admin: &CurrentUser, scope_path: &str) -> bool {
        if scope_path == "/" {
            admin.unit_path.matches('/').count() == 2
        } else {
            admin.scopes(scope_path)
        }
    }

    pub struct Item {
        pub content_id: i64,
        pub latest: i64,
        pub published: Option<i64>,
        pub status: String,
        pub scope_unit_id: Option<i64>,
    }

    pub async fn item(
        conn: &mut AnyConnection,
        kind: &str,
        key: &str,
    ) -> Result<Option<Item>, AppError> {
        let row = sqlx::query(
            "select content_id, latest_version, published_version, status, scope_unit_id from content_item \
             where kind = $1 and item_key = $2",
        )
        .bind(kind)
        .bind(key)
        .fetch_optional(conn)
        .await?;
        row.map(|r| {
            Ok(Item {
                content_id: r.try_get("content_id")?,
                latest: r.try_get("latest_version")?,
                published: r.try_get("published_version")?,
                status: r.try_get("status")?,
                scope_unit_id: r.try_get("scope_unit_id")?,
            })
        })
        .transpose()
        .map_err(|e: sqlx::Error| e.into())
    }

    /// What an admin may do with an item: read it, or also change it.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub enum Access {
        Read,
        Write,
    }

    /// Loads an item and its scope path if the admin may have the access asked for. National content is
    /// readable by every admin; only ministry admins change it.
    pub async fn item_for(
        conn: &mut AnyConnection,
        admin: &CurrentUser,
        kind: &str,
        key: &str,
        access: Access,
    ) -> Result<(Item, String), AppError> {
        let item = item(conn, kind, key).await?.ok_or(AppError::NotFound)?;
        let scope = scope_path(conn, item.scope_unit_id).await?;
        let allowed = may_edit(admin, &scope) || (access == Access::Read && scope == "/");
        if !allowed {
            return Err(AppError::Forbidden);
        }
        Ok((item, scope))
    }

    pub async fn version_body(
        conn: &mut AnyConnection,
        content_id: i64,
        version: i64,
    ) -> Result<Option<String>, AppError> {
        Ok(sqlx::query_scalar(
            "select body from content_version where content_id = $1 and version = $2",
        )
        .bind(content_id)
        .bind(version)
        .fetch_optional(conn)
        .await?)
    }

    /// Parses the basis box: one citation a line, `law article [item]`, e.g. `code 1108` or `apl 99 三`.
    pub fn parse_basis(text: &str) -> Result<Vec<Citation>, AppError> {
        let mut out = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let (Some(law), Some(article)) = (parts.first(), parts.get(1)) else {
                return Err(AppError::field("basis", "editor.err_basis"));
            };
            if !article.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AppError::field("basis", "editor.err_basis"));
            }
            out.push(Citation {
                law: (*law).to_owned(),
                article: (*article).to_owned(),
                item: parts.get(2).map(|s| (*s).to_owned()),
                old: Vec::new(),
                verified: None,
            });
        }
        Ok(out)
    }

    pub fn basis_text(basis: &[Citation]) -> String {
        basis
            .iter()
            .map(|c| {
                format!(
                    "{} {}{}",
                    c.law,
                    c.article,
                    c.item.as_ref().map(|i| format!(" {i}")).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The stored JSON body and the searchable text of a draft, checked like content files are.
    pub async fn build(conn: &mut AnyConnection, d: &Draft) -> Result<(String, String), AppError> {
        let title = d.title.trim();
        if title.chars().count() < 2 || title.chars().count() > 80 {
            return Err(AppError::field("title", "editor.err_title"));
        }
        if d.body.trim().is_empty() {
            return Err(AppError::field("body", "editor.err_body"));
        }
        if d.body.len() > 200_000 {
            return Err(AppError::field("body", "editor.err_body_long"));
        }
        match d.kind.as_str() {
            "case" => {
                let date = d.act_date.trim();
                if !crate::content::check::valid_date(date) {
                    return Err(AppError::field("act_date", "editor.err_date"));
                }
                let industries = crate::library::ssr_industries(conn).await?;
                if !industries.iter().any(|(id, _)| *id == d.industry) {
                    return Err(AppError::field("industry", "editor.err_industry"));
                }
                let violations: Vec<String> = d
                    .violations
                    .split([',', '，', '、', ' '])
                    .map(|v| v.trim().to_uppercase())
                    .filter(|v| !v.is_empty())
                    .collect();
                let codes_ok = violations.iter().all(|v| {
                    v.strip_prefix('V')
                        .and_then(|n| n.parse::<u32>().ok())
                        .is_some_and(|n| (1..=11).contains(&n))
                });
                if violations.is_empty() || !codes_ok {
                    return Err(AppError::field("violations", "editor.err_violations"));
                }
                let basis = parse_basis(&d.basis)?;
                if basis.is_empty() {
                    return Err(AppError::field("basis", "editor.err_basis"));
                }
                let laws = content_store::laws(conn).await?;
                for c in &basis {
                    match laws.get(&c.law) {
                        None => return Err(AppError::field("basis", "editor.err_basis_law")),
                        Some(law) if !law.in_force_on(date) => {
                            return Err(AppError::field("basis", "editor.err_basis_date"));
                        }
                        Some(_) => {}
                    }
                }
                let case = CaseStudy {
                    meta: CaseMeta {
                        id: d.key.clone(),
                        title: title.to_owned(),
                        act_date: date.to_owned(),
                        industry: d.industry.clone(),
                        region: d.region.trim().to_owned(),
                        violations,
                        basis,
                        penalty: d.penalty.trim().to_owned(),
                        fine_yuan: None,
                        outcome: d.outcome.trim().to_owned(),
                        verified: false,
                    },
                    body: d.body.clone(),
                };
                let text = format!(
                    "{}\n{}\n{}\n{}",
                    case.meta.title,
                    case.meta.region,
                    case.meta.outcome,
                    crate::server::markdown::plain_text(&case.body)
                );
                Ok((serde_json::to_string(&case).unwrap_or_default(), text))
            }
            "lesson" => {
                if !(1..=240).contains(&d.minutes) {
                    return Err(AppError::field("minutes", "editor.err_minutes"));
                }
                let lesson = Lesson {
                    meta: LessonMeta {
                        id: d.key.clone(),
                        title: title.to_owned(),
                        minutes: d.minutes,
                        track: "law".into(),
                        level: "initial".into(),
                        industries: Vec::new(),
                        objectives: vec![title.to_owned()],
                        questions: Vec::new(),
                    },
                    course: String::new(),
                    body: d.body.clone(),
                };
                let text = format!(
                    "{}\n{}",
                    lesson.meta.title,
                    crate::server::markdown::plain_text(&lesson.body)
                );
                Ok((serde_json::to_string(&lesson).unwrap_or_default(), text))
            }
            _ => Err(AppError::NotFound),
        }
    }

    /// A version as lines of text, for the diff.
    pub fn diff_text(kind: &str, body: &str) -> String {
        if kind == "case"
            && let Ok(c) = serde_json::from_str::<CaseStudy>(body)
        {
            return format!(
                "标题：{}\n时间：{}\n行业：{}\n地区：{}\n违法类型：{}\n依据：{}\n处罚：{}\n结果：{}\n\n{}",
                c.meta.title,
                c.meta.act_date,
                c.meta.industry,
                c.meta.region,
                c.meta.violations.join("、"),
                basis_text(&c.meta.basis).replace('\n', "；"),
                c.meta.penalty,
                c.meta.outcome,
                c.body
            );
        }
        if let Ok(l) = serde_json::from_str::<Lesson>(body) {
            return format!(
                "标题：{}\n时长：{} 分钟\n\n{}",
                l.meta.title, l.meta.minutes, l.body
            );
        }
        body.to_owned()
    }

    pub fn fill(d: &mut Draft, kind: &str, body: &str) {
        if kind == "case"
            && let Ok(c) = serde_json::from_str::<CaseStudy>(body)
        {
            d.title = c.meta.title;
            d.act_date = c.meta.act_date;
            d.industry = c.meta.industry;
            d.region = c.meta.region;
            d.violations = c.meta.violations.join(", ");
            d.basis = basis_text(&c.meta.basis);
            d.penalty = c.meta.penalty;
            d.outcome = c.meta.outcome;
            d.body = c.body;
        } else if let Ok(l) = serde_json::from_str::<Lesson>(body) {
            d.title = l.meta.title;
            d.minutes = l.meta.minutes;
            d.body = l.body;
        }
    }
}

#[server(prefix = "/api", endpoint = "list_content")]
pub async fn list_content() -> Result<Vec<ContentRow>, AppError> {
    use crate::server::{auth, state::app_state};
    use sqlx::Row;
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let rows = sqlx::query(
        "select i.kind, i.item_key, i.title, i.status, i.latest_version, i.published_version, i.updated_at, \
         coalesce(u.path, '/') as scope_path, coalesce(u.name, '') as scope_name from content_item i \
         left join unit u on u.unit_id = i.scope_unit_id where i.kind in ('case', 'lesson') \
         order by i.updated_at desc, i.item_key",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let scope_path: String = r.try_get("scope_path")?;
        // Admins see national content and content of their subtree.
        if scope_path != "/" && !admin.scopes(&scope_path) {
            continue;
        }
        let scope_name: String = r.try_get("scope_name")?;
        out.push(ContentRow {
            kind: r.try_get("kind")?,
            key: r.try_get("item_key")?,
            title: r.try_get("title")?,
            status: r.try_get("status")?,
            latest: r.try_get("latest_version")?,
            published: r.try_get("published_version")?,
            scope: scope_name,
            updated_at: r.try_get("updated_at")?,
        });
    }
    Ok(out)
}

#[server(prefix = "/api", endpoint = "editor_options")]
pub async fn editor_options() -> Result<EditorChoices, AppError> {
    use crate::server::{auth, state::app_state, units};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let mut scopes = Vec::new();
    if ssr::may_edit(&admin, "/") {
        scopes.push((
            None,
            crate::i18n::tr(crate::i18n::Locale::ZhCn, "editor.national"),
        ));
    }
    for u in units::subtree(&mut conn, &admin.unit_path).await? {
        scopes.push((Some(u.unit_id), u.name));
    }
    Ok(EditorChoices {
        industries: crate::library::ssr_industries(&mut conn).await?,
        scopes,
    })
}

#[server(prefix = "/api", endpoint = "get_draft")]
pub async fn get_draft(kind: String, key: String) -> Result<Draft, AppError> {
    use crate::server::{auth, markdown, state::app_state};
    use sqlx::Row;
    let admin = auth::require_admin().await?;
    if !ssr::KINDS.contains(&kind.as_str()) {
        return Err(AppError::NotFound);
    }
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let (item, _) = ssr::item_for(&mut conn, &admin, &kind, &key, ssr::Access::Read).await?;
    let body = ssr::version_body(&mut conn, item.content_id, item.latest)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut draft = Draft {
        kind: kind.clone(),
        key,
        status: item.status,
        latest: item.latest,
        published: item.published,
        scope_unit_id: item.scope_unit_id,
        ..Draft::default()
    };
    ssr::fill(&mut draft, &kind, &body);
    draft.preview = markdown::render(&draft.body);
    let rows = sqlx::query(
        "select v.version, v.created_at, v.source, coalesce(u.display_name, '') as by_name from content_version v \
         left join app_user u on u.user_id = v.created_by where v.content_id = $1 order by v.version desc",
    )
    .bind(item.content_id)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        draft.versions.push(VersionRow {
            version: r.try_get("version")?,
            at: r.try_get("created_at")?,
            source: r.try_get("source")?,
            by: r.try_get("by_name")?,
        });
    }
    Ok(draft)
}

#[server(prefix = "/api", endpoint = "save_draft")]
#[tracing::instrument(skip_all)]
pub async fn save_draft(
    kind: String,
    key: String,
    title: String,
    #[server(default)] act_date: String,
    #[server(default)] industry: String,
    #[server(default)] region: String,
    #[server(default)] violations: String,
    #[server(default)] basis: String,
    #[server(default)] penalty: String,
    #[server(default)] outcome: String,
    #[server(default)] minutes: String,
    body: String,
    #[server(default)] scope: String,
) -> Result<String, AppError> {
    use crate::server::{audit, auth, db, state::app_state};
    let admin = auth::require_admin().await?;
    if !ssr::KINDS.contains(&kind.as_str()) {
        return Err(AppError::NotFound);
    }
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let existing = if key.is_empty() {
        None
    } else {
        ssr::item(&mut tx, &kind, &key).await?
    };
    let scope_unit_id = match existing.as_ref() {
        Some(item) => item.scope_unit_id,
        None if scope.is_empty() || scope == "national" => None,
        None => Some(
            scope
                .parse::<i64>()
                .map_err(|_| AppError::field("scope", "editor.err_scope"))?,
        ),
    };
    let scope_path = ssr::scope_path(&mut tx, scope_unit_id).await?;
    if !ssr::may_edit(&admin, &scope_path) {
        return Err(AppError::Forbidden);
    }
    let key = if key.is_empty() {
        use rand::Rng;
        format!("{kind}-{:08x}", rand::thread_rng().r#gen::<u32>())
    } else {
        key
    };
    let draft = Draft {
        kind: kind.clone(),
        key: key.clone(),
        title,
        act_date,
        industry,
        region,
        violations,
        basis,
        penalty,
        outcome,
        minutes: minutes.trim().parse().unwrap_or(0),
        body,
        ..Draft::default()
    };
    let (json, _) = ssr::build(&mut tx, &draft).await?;
    let now = db::now();
    let version = match existing {
        Some(item) => {
            let version = item.latest + 1;
            sqlx::query("update content_item set title = $1, latest_version = $2, status = 'draft', updated_at = $3 where content_id = $4")
                .bind(draft.title.trim())
                .bind(version)
                .bind(now)
                .bind(item.content_id)
                .execute(&mut *tx)
                .await?;
            (item.content_id, version)
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "insert into content_item (kind, item_key, title, latest_version, published_version, status, scope_unit_id, updated_at) \
                 values ($1, $2, $3, 1, null, 'draft', $4, $5) returning content_id",
            )
            .bind(&kind)
            .bind(&key)
            .bind(draft.title.trim())
            .bind(scope_unit_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            (id, 1)
        }
    };
    sqlx::query(
        "insert into content_version (content_id, version, hash, title, body, source, created_by, created_at) \
         values ($1, $2, $3, $4, $5, 'editor', $6, $7)",
    )
    .bind(version.0)
    .bind(version.1)
    .bind(crate::server::content_store::hash(&json))
    .bind(draft.title.trim())
    .bind(&json)
    .bind(admin.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::by(
        &mut tx,
        &admin,
        "content.save",
        &format!("{kind}:{key}"),
        &format!("version {}", version.1),
        &scope_path,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/admin/content/{kind}/{key}?saved=1"));
    Ok(key)
}

/// Moves an item along draft → review → published → archived (and back from archive to draft).
#[server(prefix = "/api", endpoint = "set_content_status")]
#[tracing::instrument(skip_all)]
pub async fn set_content_status(kind: String, key: String, action: String) -> Result<(), AppError> {
    use crate::server::{audit, auth, content_store, db, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (item, scope_path) =
        ssr::item_for(&mut tx, &admin, &kind, &key, ssr::Access::Write).await?;
    let next = match (item.status.as_str(), action.as_str()) {
        ("draft", "submit") => "review",
        ("review", "publish") | ("draft", "publish") => "published",
        ("review", "reject") => "draft",
        ("published" | "draft" | "review", "archive") => "archived",
        ("archived", "restore") => "draft",
        _ => return Err(AppError::field("action", "editor.err_transition")),
    };
    let now = db::now();
    if next == "published" {
        let body = ssr::version_body(&mut tx, item.content_id, item.latest)
            .await?
            .ok_or(AppError::NotFound)?;
        let title: String =
            sqlx::query_scalar("select title from content_item where content_id = $1")
                .bind(item.content_id)
                .fetch_one(&mut *tx)
                .await?;
        let draft = {
            let mut d = Draft {
                kind: kind.clone(),
                key: key.clone(),
                ..Draft::default()
            };
            ssr::fill(&mut d, &kind, &body);
            d
        };
        let (_, text) = ssr::build(&mut tx, &draft).await?;
        sqlx::query("update content_item set status = 'published', published_version = latest_version, updated_at = $1 where content_id = $2")
            .bind(now)
            .bind(item.content_id)
            .execute(&mut *tx)
            .await?;
        content_store::index(
            &mut tx,
            item.content_id,
            &kind,
            &key,
            &title,
            &text,
            &scope_path,
        )
        .await?;
    } else {
        sqlx::query("update content_item set status = $1, updated_at = $2 where content_id = $3")
            .bind(next)
            .bind(now)
            .bind(item.content_id)
            .execute(&mut *tx)
            .await?;
        if next == "archived" {
            content_store::unindex(&mut tx, item.content_id).await?;
        }
    }
    audit::by(
        &mut tx,
        &admin,
        &format!("content.{action}"),
        &format!("{kind}:{key}"),
        &format!("{} → {next}", item.status),
        &scope_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "preview_markdown")]
pub async fn preview_markdown(body: String) -> Result<String, AppError> {
    crate::server::auth::require_admin().await?;
    Ok(crate::server::markdown::render(&body))
}

/// The changes a version made to the one before it.
#[server(prefix = "/api", endpoint = "version_diff")]
pub async fn version_diff(
    kind: String,
    key: String,
    version: i64,
) -> Result<Vec<DiffLine>, AppError> {
    use crate::server::{auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let (item, _) = ssr::item_for(&mut conn, &admin, &kind, &key, ssr::Access::Read).await?;
    let new = ssr::version_body(&mut conn, item.content_id, version)
        .await?
        .ok_or(AppError::NotFound)?;
    let old = if version > 1 {
        ssr::version_body(&mut conn, item.content_id, version - 1)
            .await?
            .unwrap_or_default()
    } else {
        String::new()
    };
    let (old, new) = (ssr::diff_text(&kind, &old), ssr::diff_text(&kind, &new));
    let diff = similar::TextDiff::from_lines(&old, &new);
    Ok(diff
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .map(|c| DiffLine {
            tag: match c.tag() {
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Equal => ' ',
            },
            text: c.value().trim_end_matches('\n').to_owned(),
        })
        .collect())
}

fn status_tag(status: &str) -> impl IntoView + use<> {
    let class = match status {
        "published" => "tag tag-ok",
        "review" => "tag tag-warn",
        "archived" => "tag tag-off",
        _ => "tag",
    };
    view! { <span class=class>{t(&format!("editor.status_{status}"))}</span> }
}

#[component]
pub fn ContentListPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let rows = Resource::new(|| (), |_| list_content());
    view! { <Protected role=Role::Admin><ContentListBody rows/></Protected> }
}

#[component]
fn ContentListBody(rows: Resource<Result<Vec<ContentRow>, AppError>>) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("editor.title")/>
        <PageHeader title=t("editor.title") subtitle=t("editor.subtitle")>
            <a class="btn btn-primary" href="/admin/content/new/case">{t("editor.new_case")}</a>
            <a class="btn" href="/admin/content/new/lesson">{t("editor.new_lesson")}</a>
        </PageHeader>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(list) if list.is_empty() => view! { <Empty title=t("editor.empty") hint=t("editor.empty_hint")/> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="table responsive">
                                <thead><tr>
                                    <th>{t("editor.col_title")}</th><th>{t("editor.col_kind")}</th><th>{t("editor.col_status")}</th>
                                    <th>{t("editor.col_scope")}</th><th>{t("editor.col_updated")}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| {
                                        let href = format!("/admin/content/{}/{}", r.kind, r.key);
                                        let scope = if r.scope.is_empty() { t("editor.national") } else { r.scope.clone() };
                                        view! {
                                            <tr>
                                                <td data-label=t("editor.col_title")><a href=href>{r.title.clone()}</a></td>
                                                <td data-label=t("editor.col_kind")>{t(&format!("search.kind_{}", r.kind))}</td>
                                                <td data-label=t("editor.col_status")>{status_tag(&r.status)}" v"{r.latest}</td>
                                                <td data-label=t("editor.col_scope")>{scope}</td>
                                                <td data-label=t("editor.col_updated")>{crate::ui::format_time(r.updated_at)}</td>
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

#[component]
pub fn EditorPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let params = use_params_map();
    let target = move || {
        params.with(|p| {
            (
                p.get("kind").unwrap_or_default(),
                p.get("key").unwrap_or_default(),
            )
        })
    };
    let status = ServerAction::<SetContentStatus>::new();
    let data = Resource::new(
        move || (target(), status.version().get()),
        |((kind, key), _)| async move {
            let options = editor_options().await?;
            let draft = if key.is_empty() {
                Draft {
                    kind: kind.clone(),
                    status: "draft".into(),
                    minutes: 20,
                    ..Draft::default()
                }
            } else {
                get_draft(kind, key).await?
            };
            Ok::<_, AppError>((draft, options))
        },
    );
    view! { <Protected role=Role::Admin><EditorBody status data/></Protected> }
}

#[component]
fn EditorBody(
    status: ServerAction<SetContentStatus>,
    data: Resource<Result<(Draft, EditorChoices), AppError>>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("editor.title")/>
        <p><a href="/admin/content">{t("editor.back")}</a></p>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((draft, options)) => view! { <Editor draft options status/> }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Editor(
    draft: Draft,
    options: EditorChoices,
    status: ServerAction<SetContentStatus>,
) -> impl IntoView {
    let save = ServerAction::<SaveDraft>::new();
    let is_new = draft.key.is_empty();
    let is_case = draft.kind == "case";
    let preview = RwSignal::new(draft.preview.clone());
    let saved = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("saved").is_some());
    // Live preview: re-render on the server a moment after typing stops.
    let typed = RwSignal::new(0u64);
    let on_input = move |ev: leptos::ev::Event| {
        let body = event_target_value(&ev);
        typed.update(|n| *n += 1);
        let mine = typed.get_untracked();
        set_timeout(
            move || {
                if typed.get_untracked() == mine {
                    leptos::task::spawn_local(async move {
                        if let Ok(html) = preview_markdown(body).await {
                            preview.set(html);
                        }
                    });
                }
            },
            std::time::Duration::from_millis(400),
        );
    };
    let title = if is_new {
        t(if is_case {
            "editor.new_case"
        } else {
            "editor.new_lesson"
        })
    } else {
        draft.title.clone()
    };
    let kind = draft.kind.clone();
    let key = draft.key.clone();
    let status_now = draft.status.clone();
    let status_for_tag = draft.status.clone();
    let versions = draft.versions.clone();
    view! {
        <PageHeader title=title>
            {(!is_new).then(move || status_tag(&status_for_tag))}
        </PageHeader>
        {saved.then(|| view! { <p class="alert alert-ok" role="status">{t("editor.saved")}</p> })}
        <div class="editor">
            <section class="card">
                <ActionFeedback action=save/>
                <ActionForm action=save attr:class="form" attr:id="editor-form">
                    <input type="hidden" name="kind" value=draft.kind.clone()/>
                    <input type="hidden" name="key" value=draft.key.clone()/>
                    <label for="title">{t("editor.field_title")}</label>
                    <input id="title" name="title" type="text" required maxlength="80" value=draft.title.clone()/>
                    {if is_case {
                        view! {
                            <div class="form-grid">
                                <label>{t("cases.act_date")}<input name="act_date" type="date" required value=draft.act_date.clone()/></label>
                                <label>{t("cases.industry")}
                                    <select name="industry" required>
                                        {options.industries.iter().map(|(id, name)| view! {
                                            <option value=id.clone() selected=*id == draft.industry>{name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label>{t("cases.region")}<input name="region" type="text" value=draft.region.clone()/></label>
                                <label>{t("cases.violation")}<input name="violations" type="text" placeholder="V3, V4" value=draft.violations.clone()/></label>
                            </div>
                            <label for="basis">{t("cases.basis")}</label>
                            <textarea id="basis" name="basis" rows="3" placeholder="code 1108\napl 99 三">{crate::ui::rcdata_text(&draft.basis)}</textarea>
                            <p class="hint">{t("editor.basis_hint")}</p>
                            <label for="penalty">{t("cases.penalty")}</label>
                            <input id="penalty" name="penalty" type="text" value=draft.penalty.clone()/>
                            <label for="outcome">{t("cases.outcome")}</label>
                            <input id="outcome" name="outcome" type="text" value=draft.outcome.clone()/>
                        }.into_any()
                    } else {
                        view! {
                            <label for="minutes">{t("editor.field_minutes")}</label>
                            <input id="minutes" name="minutes" type="number" min="1" max="240" value=draft.minutes.to_string()/>
                        }.into_any()
                    }}
                    {is_new.then(|| view! {
                        <label for="scope">{t("editor.field_scope")}</label>
                        <select id="scope" name="scope">
                            {options.scopes.iter().map(|(id, name)| view! {
                                <option value=id.map(|i| i.to_string()).unwrap_or_else(|| "national".into())>{name.clone()}</option>
                            }).collect_view()}
                        </select>
                    })}
                    <label for="body">{t("editor.field_body")}</label>
                    <textarea id="body" name="body" rows="16" required on:input=on_input>{crate::ui::rcdata_text(&draft.body)}</textarea>
                    <p class="hint">{t("editor.body_hint")}</p>
                    <button type="submit" class="btn btn-primary">{t("editor.save")}</button>
                </ActionForm>
            </section>
            <section class="card">
                <h2>{t("editor.preview")}</h2>
                <div class="prose preview" inner_html=move || preview.get()></div>
            </section>
        </div>
        {(!is_new).then({
            let back = format!("/admin/content/{}/{}", kind, key);
            move || view! { <ImageUpload back=back.clone()/> }
        })}
        {(!is_new).then(|| view! { <Workflow kind=kind.clone() key=key.clone() status_now=status_now.clone() action=status/> })}
        {(!is_new).then(|| view! { <History kind draft_key=key versions=versions.clone()/> })}
    }
}

#[component]
fn Workflow(
    kind: String,
    key: String,
    status_now: String,
    action: ServerAction<SetContentStatus>,
) -> impl IntoView {
    let buttons: Vec<(&str, &str)> = match status_now.as_str() {
        "draft" => vec![
            ("submit", "editor.do_submit"),
            ("publish", "editor.do_publish"),
            ("archive", "editor.do_archive"),
        ],
        "review" => vec![
            ("publish", "editor.do_publish"),
            ("reject", "editor.do_reject"),
            ("archive", "editor.do_archive"),
        ],
        "published" => vec![("archive", "editor.do_archive")],
        _ => vec![("restore", "editor.do_restore")],
    };
    view! {
        <section class="card">
            <h2>{t("editor.workflow")}</h2>
            <p class="muted small">{t("editor.workflow_hint")}</p>
            <ActionFeedback action ok_key="common.saved"/>
            <div class="actions">
                {buttons.into_iter().map(|(act, label)| {
                    let (kind, key) = (kind.clone(), key.clone());
                    view! {
                    <ActionForm action attr:class="inline">
                        <input type="hidden" name="kind" value=kind/>
                        <input type="hidden" name="key" value=key/>
                        <input type="hidden" name="action" value=act/>
                        <button type="submit" class=if act == "publish" { "btn btn-primary" } else { "btn" }>{t(label)}</button>
                    </ActionForm>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn History(kind: String, draft_key: String, versions: Vec<VersionRow>) -> impl IntoView {
    let shown = RwSignal::new(None::<i64>);
    let diff = Resource::new(move || shown.get(), {
        let (kind, key) = (kind.clone(), draft_key.clone());
        move |v| {
            let (kind, key) = (kind.clone(), key.clone());
            async move {
                match v {
                    Some(v) => version_diff(kind, key, v).await.map(Some),
                    None => Ok(None),
                }
            }
        }
    });
    view! {
        <section class="card">
            <h2>{t("editor.history")}</h2>
            <ul class="versions">
                {versions.into_iter().map(|v| {
                    let by = if v.by.is_empty() { t("editor.by_import") } else { v.by.clone() };
                    view! {
                        <li>
                            <strong>{format!("v{}", v.version)}</strong>" "
                            <span class="muted small">{format!("{} · {}", crate::ui::format_time(v.at), by)}</span>" "
                            <button type="button" class="btn btn-small" on:click=move |_| shown.set(Some(v.version))>{t("editor.show_diff")}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match diff.await {
                        Ok(Some(lines)) => view! {
                            <pre class="diff">
                                {lines.into_iter().map(|l| {
                                    let class = if l.tag == '+' { "add" } else { "del" };
                                    view! { <span class=class>{format!("{} {}\n", l.tag, l.text)}</span> }
                                }).collect_view()}
                            </pre>
                        }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(err) => view! { <p class="alert alert-error">{crate::ui::error_text(&err)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Largest image accepted.
#[cfg(feature = "ssr")]
const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// The image type a file really is, by its first bytes; SVG and anything else is refused (SVG can carry script).
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Stores an uploaded image and returns to the editor with the Markdown that shows it.
#[server(prefix = "/api", endpoint = "upload_image", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn upload_image(data: leptos::server_fn::codec::MultipartData) -> Result<i64, AppError> {
    use crate::server::{audit, auth, db, state::app_state};
    let admin = auth::require_admin().await?;
    let mut multipart = data.into_inner().ok_or(AppError::Internal)?;
    let mut file = None;
    let mut back = String::from("/admin/content");
    while let Ok(Some(mut field)) = multipart.next_field().await {
        match field.name() {
            Some("back") => {
                if let Ok(text) = field.text().await
                    && text.starts_with("/admin/content/")
                {
                    back = text;
                }
            }
            Some("image") => {
                let mut bytes = Vec::new();
                while let Ok(Some(chunk)) = field.chunk().await {
                    if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
                        return Err(AppError::field("image", "editor.err_image_size"));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(bytes);
            }
            _ => {}
        }
    }
    let bytes = file
        .filter(|b| !b.is_empty())
        .ok_or_else(|| AppError::field("image", "import.err_no_file"))?;
    let content_type =
        image_type(&bytes).ok_or_else(|| AppError::field("image", "editor.err_image_type"))?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "insert into media (content_type, bytes, size, created_by, created_at) values ($1, $2, $3, $4, $5) returning media_id",
    )
    .bind(content_type)
    .bind(&bytes)
    .bind(bytes.len() as i64)
    .bind(admin.id)
    .bind(db::now())
    .fetch_one(&mut *tx)
    .await?;
    audit::by(
        &mut tx,
        &admin,
        "media.upload",
        &format!("media:{id}"),
        content_type,
        &admin.unit_path,
    )
    .await?;
    tx.commit().await?;
    let sep = if back.contains('?') { '&' } else { '?' };
    leptos_axum::redirect(&format!("{back}{sep}image={id}"));
    Ok(id)
}

/// The image form beside the editor: a plain multipart form, so it works without JavaScript too.
#[component]
pub fn ImageUpload(back: String) -> impl IntoView {
    use leptos::server_fn::ServerFn;
    let error = crate::ui::form_error_for(UploadImage::PATH);
    let uploaded = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("image"));
    view! {
        <section class="card">
            <h2>{t("editor.image")}</h2>
            {error.map(|err| view! { <p class="alert alert-error" role="alert">{crate::ui::error_text(&err)}</p> })}
            {uploaded.map(|id| view! {
                <p class="alert alert-ok" role="status">{t("editor.image_done")}" "<code>{format!("![图片说明](/media/{id})")}</code></p>
            })}
            <form method="post" action="/api/upload_image" enctype="multipart/form-data" class="form">
                <input type="hidden" name="back" value=back/>
                <input type="file" name="image" required accept="image/png,image/jpeg,image/gif,image/webp" aria-label=t("editor.image")/>
                <p class="hint">{t("editor.image_hint")}</p>
                <button type="submit" class="btn">{t("editor.image_submit")}</button>
            </form>
        </section>
    }
}
