//! The admin side of study: the 学时 rules (set by ministry-level admins), course assignments to units or people
//! with a due date, and 学时 by person and unit within the admin's scope, exported to XLSX.

#[cfg_attr(not(feature = "ssr"), allow(unused_imports))]
use super::rules::{self, HourRules, format_hours};
use crate::accounts::Protected;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, t_with};
use crate::ui::{ActionFeedback, Empty, PageHeader};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignmentRow {
    pub id: i64,
    pub course: String,
    pub target: String,
    pub due_at: i64,
    pub completed: i64,
    pub people: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoursRow {
    pub username: String,
    pub name: String,
    pub unit: String,
    pub hundredths: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyAdminView {
    pub rules: HourRules,
    pub can_edit_rules: bool,
    pub courses: Vec<(String, String)>,
    /// (lesson id, title, has a video)
    pub lessons: Vec<(String, String, bool)>,
    pub assignments: Vec<AssignmentRow>,
    pub year: i64,
    pub unit: String,
    pub people: Vec<HoursRow>,
    /// (unit name, people, total hundredths, people at target)
    pub units: Vec<(String, i64, i64, i64)>,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::server::auth::CurrentUser;
    use sqlx::AnyConnection;
    use std::collections::HashMap;

    /// The earliest due date per course assigned to this person or to a unit on their path.
    pub async fn due_for(
        conn: &mut AnyConnection,
        user: &CurrentUser,
    ) -> Result<HashMap<String, i64>, sqlx::Error> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "select a.course_key, min(a.due_at) from course_assignment a left join unit un on un.unit_id = a.unit_id \
             where a.user_id = $1 or (a.unit_id is not null and $2 like un.path || '%') group by a.course_key",
        )
        .bind(user.id)
        .bind(&user.unit_path)
        .fetch_all(conn)
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// 学时 per person in the admin's scope for a year, optionally within one unit's subtree.
    pub async fn hours(
        conn: &mut AnyConnection,
        scope_path: &str,
        year: i64,
    ) -> Result<Vec<HoursRow>, sqlx::Error> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "select u.username, u.display_name, un.name, cast(coalesce(sum(c.hundredths), 0) as bigint) \
             from app_user u join unit un on un.unit_id = u.unit_id \
             left join credit c on c.user_id = u.user_id and c.year = $2 \
             where un.path like $1 || '%' and u.active = 1 \
             group by u.user_id, u.username, u.display_name, un.name, un.path order by un.path, u.username",
        )
        .bind(scope_path)
        .bind(year)
        .fetch_all(conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(username, name, unit, hundredths)| HoursRow {
                username,
                name,
                unit,
                hundredths,
            })
            .collect())
    }

    /// The 学时 report as an XLSX workbook: one sheet by person, one by unit.
    pub fn hours_xlsx(
        people: &[HoursRow],
        target: i64,
        year: i64,
    ) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = book.add_worksheet();
        sheet.set_name(format!("{year}学时"))?;
        for (col, head) in ["用户名", "姓名", "单位", "学时", "年度目标", "完成率"]
            .iter()
            .enumerate()
        {
            sheet.write_string_with_format(0, col as u16, *head, &bold)?;
        }
        for (i, p) in people.iter().enumerate() {
            let r = i as u32 + 1;
            sheet.write_string(r, 0, &p.username)?;
            sheet.write_string(r, 1, &p.name)?;
            sheet.write_string(r, 2, &p.unit)?;
            sheet.write_number(r, 3, p.hundredths as f64 / 100.0)?;
            sheet.write_number(r, 4, target as f64 / 100.0)?;
            sheet.write_number(r, 5, rules::percent(p.hundredths, target) as f64 / 100.0)?;
        }
        let units = by_unit(people, target);
        let sheet = book.add_worksheet();
        sheet.set_name("按单位")?;
        for (col, head) in ["单位", "人数", "学时合计", "人均学时", "达标人数"]
            .iter()
            .enumerate()
        {
            sheet.write_string_with_format(0, col as u16, *head, &bold)?;
        }
        for (i, (unit, n, total, at_target)) in units.iter().enumerate() {
            let r = i as u32 + 1;
            sheet.write_string(r, 0, unit)?;
            sheet.write_number(r, 1, *n as f64)?;
            sheet.write_number(r, 2, *total as f64 / 100.0)?;
            sheet.write_number(r, 3, *total as f64 / 100.0 / (*n).max(1) as f64)?;
            sheet.write_number(r, 4, *at_target as f64)?;
        }
        book.save_to_buffer()
    }

    pub fn by_unit(people: &[HoursRow], target: i64) -> Vec<(String, i64, i64, i64)> {
        let mut out: Vec<(String, i64, i64, i64)> = Vec::new();
        for p in people {
            match out.iter_mut().find(|u| u.0 == p.unit) {
                Some(u) => {
                    u.1 += 1;
                    u.2 += p.hundredths;
                    u.3 += i64::from(p.hundredths >= target);
                }
                None => out.push((
                    p.unit.clone(),
                    1,
                    p.hundredths,
                    i64::from(p.hundredths >= target),
                )),
            }
        }
        out
    }

    /// Whether this admin sets the 学时 rules: only admins of a top (ministry-level) unit do.
    pub async fn sets_rules(
        conn: &mut AnyConnection,
        admin: &CurrentUser,
    ) -> Result<bool, sqlx::Error> {
        let parent: Option<i64> =
            sqlx::query_scalar("select parent_id from unit where unit_id = $1")
                .bind(admin.unit_id)
                .fetch_one(conn)
                .await?;
        Ok(parent.is_none())
    }

    /// The subtree a report covers: the admin's own, or a unit inside it named by code.
    pub async fn report_scope(
        conn: &mut AnyConnection,
        admin: &CurrentUser,
        unit_code: &str,
    ) -> Result<(String, String), AppError> {
        if unit_code.trim().is_empty() {
            return Ok((admin.unit_path.clone(), admin.unit_name.clone()));
        }
        let unit = crate::server::units::by_code(conn, unit_code.trim())
            .await?
            .filter(|u| admin.scopes(&u.path))
            .ok_or(AppError::field("unit", "study.err_unit"))?;
        Ok((unit.path, unit.name))
    }
}

#[server(prefix = "/api", endpoint = "study_admin")]
pub async fn study_admin(
    year: Option<i64>,
    unit: Option<String>,
) -> Result<StudyAdminView, AppError> {
    use crate::server::{auth, db, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let rules = super::ssr::hour_rules(&mut conn).await?;
    let can_edit_rules = ssr::sets_rules(&mut conn, &admin).await?;
    let courses: Vec<(String, String)> = super::ssr::courses(&mut conn, &admin.unit_path)
        .await?
        .into_iter()
        .map(|c| (c.id, c.title))
        .collect();
    type Row = (
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "select a.assignment_id, a.course_key, un.name, un.path, u.display_name, a.due_at from course_assignment a \
         left join unit un on un.unit_id = a.unit_id left join app_user u on u.user_id = a.user_id \
         left join unit uu on uu.unit_id = u.unit_id \
         where coalesce(un.path, uu.path) like $1 || '%' order by a.due_at",
    )
    .bind(&admin.unit_path)
    .fetch_all(&mut *conn)
    .await?;
    let mut assignments = Vec::new();
    for (id, course, unit_name, unit_path, person, due_at) in rows {
        // Who the assignment reaches, and how many of them completed the course.
        let (people, completed): (i64, i64) = sqlx::query_as(
            "select count(*), coalesce(sum(case when e.completed_at is not null then 1 else 0 end), 0) \
             from app_user u join unit un on un.unit_id = u.unit_id \
             left join enrolment e on e.user_id = u.user_id and e.course_key = $1 \
             where (un.path like $2 || '%') or u.user_id = (select user_id from course_assignment where assignment_id = $3)",
        )
        .bind(&course)
        .bind(unit_path.clone().unwrap_or_else(|| "\u{0}".into()))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        assignments.push(AssignmentRow {
            id,
            course: courses
                .iter()
                .find(|(k, _)| *k == course)
                .map(|(_, t)| t.clone())
                .unwrap_or(course),
            target: unit_name.or(person).unwrap_or_default(),
            due_at,
            completed,
            people,
        });
    }
    let videos: Vec<String> = sqlx::query_scalar("select lesson_key from lesson_video")
        .fetch_all(&mut *conn)
        .await?;
    let mut lessons: Vec<(String, String, bool)> = super::ssr::lessons(&mut conn, &admin.unit_path)
        .await?
        .into_values()
        .map(|l| {
            let has = videos.contains(&l.meta.id);
            (l.meta.id, l.meta.title, has)
        })
        .collect();
    lessons.sort();
    let year = year.unwrap_or_else(|| super::ssr::year_of(db::now()));
    let (path, unit_name) =
        ssr::report_scope(&mut conn, &admin, unit.as_deref().unwrap_or("")).await?;
    let people = ssr::hours(&mut conn, &path, year).await?;
    Ok(StudyAdminView {
        units: ssr::by_unit(&people, rules.yearly_target),
        rules,
        can_edit_rules,
        courses,
        lessons,
        assignments,
        year,
        unit: unit_name,
        people,
    })
}

#[server(prefix = "/api", endpoint = "save_hour_rules")]
pub async fn save_hour_rules(
    long_minutes: String,
    long_lesson: String,
    medium_minutes: String,
    medium_lesson: String,
    short_lesson: String,
    course_test: String,
    yearly_target: String,
    pass_percent: String,
) -> Result<(), AppError> {
    use crate::server::{audit, auth, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    if !ssr::sets_rules(&mut tx, &admin).await? {
        return Err(AppError::Forbidden);
    }
    let minutes = |f: &str, v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| AppError::field(f, "study.err_rule_minutes"))
    };
    let hours =
        |f: &str, v: &str| rules::parse_hours(v).ok_or(AppError::field(f, "study.err_rule_hours"));
    let r = HourRules {
        long_minutes: minutes("long_minutes", &long_minutes)?,
        long_lesson: hours("long_lesson", &long_lesson)?,
        medium_minutes: minutes("medium_minutes", &medium_minutes)?,
        medium_lesson: hours("medium_lesson", &medium_lesson)?,
        short_lesson: hours("short_lesson", &short_lesson)?,
        course_test: hours("course_test", &course_test)?,
        yearly_target: rules::parse_hours(&yearly_target)
            .ok_or(AppError::field("yearly_target", "study.err_rule_target"))?,
        pass_percent: pass_percent
            .trim()
            .parse()
            .map_err(|_| AppError::field("pass_percent", "study.err_rule_pass"))?,
    };
    r.validate().map_err(|key| AppError::field("rules", key))?;
    super::ssr::save_hour_rules(&mut tx, &r).await?;
    audit::by(
        &mut tx,
        &admin,
        "study.rules",
        "hour_rules",
        &serde_json::to_string(&r).unwrap_or_default(),
        &admin.unit_path,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Assigns a course to a unit (and everyone below it) or to one person, with a due date.
#[server(prefix = "/api", endpoint = "assign_course")]
pub async fn assign_course(
    course: String,
    unit: String,
    username: String,
    due: String,
) -> Result<(), AppError> {
    use crate::server::{audit, auth, db, state::app_state};
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    super::ssr::course(&mut tx, &admin.unit_path, &course).await?;
    let due_at = super::events::parse_local(&format!("{}T23:59", due.trim()))
        .filter(|d| *d > db::now())
        .ok_or(AppError::field("due", "study.err_due"))?;
    let (unit_id, user_id, scope) = match (unit.trim(), username.trim()) {
        (code, "") if !code.is_empty() => {
            let u = crate::server::units::by_code(&mut tx, code)
                .await?
                .filter(|u| admin.scopes(&u.path))
                .ok_or(AppError::field("unit", "study.err_unit"))?;
            (Some(u.unit_id), None, u.path)
        }
        ("", name) if !name.is_empty() => {
            let row: Option<(i64, String)> = sqlx::query_as(
                "select u.user_id, un.path from app_user u join unit un on un.unit_id = u.unit_id where u.username = $1",
            )
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
            let (id, path) = row
                .filter(|(_, p)| admin.scopes(p))
                .ok_or(AppError::field("username", "study.err_person"))?;
            (None, Some(id), path)
        }
        _ => return Err(AppError::field("unit", "study.err_target")),
    };
    sqlx::query(
        "insert into course_assignment (course_key, unit_id, user_id, due_at, created_by, created_at) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&course)
    .bind(unit_id)
    .bind(user_id)
    .bind(due_at)
    .bind(admin.id)
    .bind(db::now())
    .execute(&mut *tx)
    .await?;
    audit::by(
        &mut tx,
        &admin,
        "study.assign",
        &format!("course:{course}"),
        &format!("{unit}{username} due {due}"),
        &scope,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The largest lesson video accepted.
pub const MAX_VIDEO_BYTES: usize = 500 * 1024 * 1024;

/// Stores an MP4 video for a lesson (replacing any earlier one). The file is streamed to the media directory and
/// must be an MP4 (an `ftyp` box at its start); a plain multipart form, so it works without JavaScript.
#[server(prefix = "/api", endpoint = "upload_video", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn upload_video(data: leptos::server_fn::codec::MultipartData) -> Result<(), AppError> {
    use crate::server::{audit, auth, content_store, db, state::app_state};
    use tokio::io::AsyncWriteExt;
    let admin = auth::require_admin().await?;
    let state = app_state()?;
    let mut multipart = data.into_inner().ok_or(AppError::Internal)?;
    let mut lesson: Option<String> = None;
    let mut stored: Option<(std::path::PathBuf, usize)> = None;
    let io = |e: std::io::Error| AppError::internal("video file", e);
    while let Ok(Some(mut field)) = multipart.next_field().await {
        match field.name() {
            Some("lesson") => lesson = field.text().await.ok(),
            Some("video") => {
                let Some(key) = lesson.clone() else {
                    return Err(AppError::field("lesson", "study.err_video_lesson"));
                };
                let mut conn = state.pool.acquire().await?;
                content_store::visible_one(&mut conn, "lesson", &key, &admin.unit_path)
                    .await?
                    .ok_or(AppError::field("lesson", "study.err_video_lesson"))?;
                drop(conn);
                tokio::fs::create_dir_all(&state.media_dir)
                    .await
                    .map_err(io)?;
                let part = state
                    .media_dir
                    .join(format!("upload-{}.part", super::ssr::certificate_code()));
                let mut file = tokio::fs::File::create(&part).await.map_err(io)?;
                let mut size = 0usize;
                let mut head: Vec<u8> = Vec::new();
                while let Ok(Some(chunk)) = field.chunk().await {
                    size += chunk.len();
                    if size > MAX_VIDEO_BYTES {
                        drop(file);
                        let _ = tokio::fs::remove_file(&part).await;
                        return Err(AppError::field("video", "study.err_video_size"));
                    }
                    if head.len() < 12 {
                        head.extend_from_slice(&chunk[..chunk.len().min(12 - head.len())]);
                    }
                    file.write_all(&chunk).await.map_err(io)?;
                }
                file.flush().await.map_err(io)?;
                drop(file);
                if head.len() < 12 || &head[4..8] != b"ftyp" {
                    let _ = tokio::fs::remove_file(&part).await;
                    return Err(AppError::field("video", "study.err_video_type"));
                }
                stored = Some((part, size));
            }
            _ => {}
        }
    }
    let (Some(key), Some((part, size))) = (lesson, stored) else {
        return Err(AppError::field("video", "import.err_no_file"));
    };
    let name = format!("lesson-{key}.mp4");
    tokio::fs::rename(&part, state.media_dir.join(&name))
        .await
        .map_err(io)?;
    let mut tx = state.pool.begin().await?;
    sqlx::query("delete from lesson_video where lesson_key = $1")
        .bind(&key)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into lesson_video (lesson_key, file_name, size, uploaded_by, uploaded_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(&key)
    .bind(&name)
    .bind(size as i64)
    .bind(admin.id)
    .bind(db::now())
    .execute(&mut *tx)
    .await?;
    audit::by(
        &mut tx,
        &admin,
        "video.upload",
        &format!("lesson:{key}"),
        &format!("{size} bytes"),
        &admin.unit_path,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/admin/study?video={key}"));
    Ok(())
}

#[component]
pub fn StudyAdminPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let query = use_query_map();
    let save = ServerAction::<SaveHourRules>::new();
    let assign = ServerAction::<AssignCourse>::new();
    let args = move || {
        query.with(|q| {
            (
                q.get("year").and_then(|y| y.parse::<i64>().ok()),
                q.get("unit").filter(|u| !u.is_empty()),
            )
        })
    };
    let data = Resource::new(
        move || (args(), save.version().get(), assign.version().get()),
        |((year, unit), _, _)| study_admin(year, unit),
    );
    view! { <Protected role=Role::Admin><StudyAdminBody save assign data/></Protected> }
}

#[component]
fn StudyAdminBody(
    save: ServerAction<SaveHourRules>,
    assign: ServerAction<AssignCourse>,
    data: Resource<Result<StudyAdminView, AppError>>,
) -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        query.with(|q| {
            (
                q.get("year").and_then(|y| y.parse::<i64>().ok()),
                q.get("unit").filter(|u| !u.is_empty()),
            )
        })
    };
    view! {
        <leptos_meta::Title text=t("study.admin_title")/>
        <PageHeader title=t("study.admin_title")>
            <a class="btn" href="/admin/events">{t("events.admin_title")}</a>
        </PageHeader>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => {
                        use leptos::server_fn::ServerFn as _;
                        let (year, unit) = args();
                        let video_done = query.with(|q| q.get("video").is_some());
                        let export = format!("/admin/study/hours.xlsx?year={}{}", v.year, unit.clone().map(|u| format!("&unit={u}")).unwrap_or_default());
                        let r = v.rules.clone();
                        view! {
                            <section class="card">
                                <h2>{t_with("study.report_title", &[("year", &v.year.to_string()), ("unit", &v.unit)])}</h2>
                                <form class="filters" method="get" action="/admin/study">
                                    <input name="year" type="number" min="2020" max="2100" value=year.unwrap_or(v.year).to_string() aria-label=t("study.year")/>
                                    <input name="unit" placeholder=t("study.unit_code") value=unit.clone().unwrap_or_default() aria-label=t("study.unit_code")/>
                                    <button type="submit" class="btn">{t("study.filter")}</button>
                                    <a class="btn" id="export-xlsx" href=export>{t("study.export")}</a>
                                </form>
                                <div class="table-wrap"><table class="table">
                                    <thead><tr><th>{t("study.unit")}</th><th>{t("study.people")}</th><th>{t("study.col_hours")}</th><th>{t("study.at_target")}</th></tr></thead>
                                    <tbody>{v.units.iter().map(|(u, n, total, ok)| view! {
                                        <tr><td>{u.clone()}</td><td>{*n}</td><td>{format_hours(*total)}</td><td>{format!("{ok}/{n}")}</td></tr>
                                    }).collect_view()}</tbody>
                                </table></div>
                                <details>
                                    <summary>{t_with("study.by_person", &[("n", &v.people.len().to_string())])}</summary>
                                    <div class="table-wrap"><table class="table" id="hours-people">
                                        <thead><tr><th>{t("study.person")}</th><th>{t("study.unit")}</th><th>{t("study.col_hours")}</th></tr></thead>
                                        <tbody>{v.people.iter().map(|p| view! {
                                            <tr><td>{format!("{}（{}）", p.name, p.username)}</td><td>{p.unit.clone()}</td><td>{format_hours(p.hundredths)}</td></tr>
                                        }).collect_view()}</tbody>
                                    </table></div>
                                </details>
                            </section>
                            <section class="card">
                                <h2>{t("study.assignments")}</h2>
                                <ActionFeedback action=assign ok_key="study.assigned"/>
                                <ActionForm action=assign attr:class="form form-grid">
                                    <label>{t("study.course")}<select name="course" required>
                                        {v.courses.iter().map(|(id, title)| view! { <option value=id.clone()>{title.clone()}</option> }).collect_view()}
                                    </select></label>
                                    <label>{t("study.due_date")}<input name="due" type="date" required/></label>
                                    <label>{t("study.to_unit")}<input name="unit" placeholder="ZJ-HZ"/></label>
                                    <label>{t("study.to_person")}<input name="username" placeholder=t("study.username")/></label>
                                    <button type="submit" class="btn btn-primary">{t("study.assign")}</button>
                                </ActionForm>
                                {if v.assignments.is_empty() {
                                    view! { <Empty title=t("study.no_assignments") hint=t("study.no_assignments_hint")/> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap"><table class="table">
                                            <thead><tr><th>{t("study.course")}</th><th>{t("study.target")}</th><th>{t("study.due_date")}</th><th>{t("study.completion")}</th></tr></thead>
                                            <tbody>{v.assignments.iter().map(|a| view! {
                                                <tr><td>{a.course.clone()}</td><td>{a.target.clone()}</td><td>{crate::ui::format_time(a.due_at)}</td><td>{format!("{}/{}", a.completed, a.people)}</td></tr>
                                            }).collect_view()}</tbody>
                                        </table></div>
                                    }.into_any()
                                }}
                            </section>
                            <section class="card" id="videos">
                                <h2>{t("study.videos")}</h2>
                                {video_done.then(|| view! { <p class="alert alert-ok" role="status">{t("study.video_saved")}</p> })}
                                {crate::ui::form_error_for(UploadVideo::PATH).map(|err| view! { <p class="alert alert-error" role="alert">{crate::ui::error_text(&err)}</p> })}
                                <form method="post" action="/api/upload_video" enctype="multipart/form-data" class="form form-grid">
                                    <label>{t("study.video_lesson")}<select name="lesson" required>
                                        {v.lessons.iter().map(|(id, title, has)| view! {
                                            <option value=id.clone()>{title.clone()}{has.then(|| "（已有视频）")}</option>
                                        }).collect_view()}
                                    </select></label>
                                    <label>{t("study.video_file")}<input type="file" name="video" accept="video/mp4" required/></label>
                                    <p class="hint">{t("study.video_hint")}</p>
                                    <button type="submit" class="btn">{t("study.video_upload")}</button>
                                </form>
                            </section>
                            <section class="card">
                                <h2>{t("study.rules")}</h2>
                                {(!v.can_edit_rules).then(|| view! { <p class="muted small">{t("study.rules_readonly")}</p> })}
                                <ActionFeedback action=save ok_key="common.saved"/>
                                <ActionForm action=save attr:class="form form-grid">
                                    <label>{t("study.rule_long_minutes")}<input name="long_minutes" inputmode="numeric" value=r.long_minutes.to_string() disabled=!v.can_edit_rules/></label>
                                    <label>{t("study.rule_long_lesson")}<input name="long_lesson" inputmode="decimal" value=format_hours(r.long_lesson) disabled=!v.can_edit_rules/></label>
                                    <label>{t("study.rule_medium_minutes")}<input name="medium_minutes" inputmode="numeric" value=r.medium_minutes.to_string() disabled=!v.can_edit_rules/></label>
                                    <label>{t("study.rule_medium_lesson")}<input name="medium_lesson" inputmode="decimal" value=format_hours(r.medium_lesson) disabled=!v.can_edit_rules/></label>
                                    <label>{t("study.rule_short_lesson")}<input name="short_lesson" inputmode="decimal" value=format_hours(r.short_lesson) disabled=!v.can_edit_rules/></label>
                                    <label>{t("study.rule_course_test")}<input name="course_test" inputmode="decimal" value=format_hours(r.course_test) disabled=!v.can_edit_rules/></label>
                                    <label>{t("study.rule_target")}<input name="yearly_target" inputmode="decimal" value=format_hours(r.yearly_target) disabled=!v.can_edit_rules/></label>
                                    <label>{t("study.rule_pass")}<input name="pass_percent" inputmode="numeric" value=r.pass_percent.to_string() disabled=!v.can_edit_rules/></label>
                                    {v.can_edit_rules.then(|| view! { <button type="submit" class="btn btn-primary">{t("common.save")}</button> })}
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
