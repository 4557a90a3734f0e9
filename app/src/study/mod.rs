//! Study for trainees: the course catalogue, lessons with reading time and knowledge checks, course tests,
//! 学时 credit, certificates and their public verification. Blended training events are in `events`, the admin
//! side (rules, assignments, 学时 reports) in `admin`.

pub mod admin;
pub mod events;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod ssr;

use crate::accounts::Protected;
use crate::error::AppError;
use crate::i18n::{t, t_with};
use crate::ui::{ActionFeedback, Empty, PageHeader};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use rules::format_hours;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const TRACKS: [&str; 4] = ["law", "monitoring", "industry", "evidence"];
pub const LEVELS: [&str; 2] = ["initial", "intermediate"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CourseCard {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub track: String,
    pub level: String,
    pub industries: Vec<String>,
    pub lessons: usize,
    pub done: usize,
    pub percent: i64,
    pub enrolled: bool,
    pub completed: bool,
    pub due_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogueData {
    pub courses: Vec<CourseCard>,
    pub industries: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LessonRow {
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub seconds: i64,
    pub done: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModuleView {
    pub title: String,
    pub lessons: Vec<LessonRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CourseView {
    pub card: CourseCard,
    pub modules: Vec<ModuleView>,
    pub resume: Option<String>,
    pub test_questions: usize,
    pub test_open: bool,
    pub test_passed: bool,
    pub certificate: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckQuestion {
    pub key: String,
    pub multiple: bool,
    pub stem: String,
    /// (letter, text)
    pub options: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckFeedback {
    pub stem: String,
    pub yours: String,
    pub answer: String,
    pub right: bool,
    pub explanation: String,
    pub basis: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub passed: bool,
    pub right: usize,
    pub total: usize,
    pub items: Vec<CheckFeedback>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LessonStudy {
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub objectives: Vec<String>,
    pub html: String,
    /// (id, title) of the course, and of the lessons before and after in it.
    pub course: Option<(String, String)>,
    pub prev: Option<(String, String)>,
    pub next: Option<(String, String)>,
    pub seconds: i64,
    pub done: bool,
    pub heartbeat: i64,
    pub credit: i64,
    /// The lesson has a video, served at `/video/ID`.
    pub video: bool,
    pub check: Vec<CheckQuestion>,
    pub result: Option<CheckResult>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CourseTest {
    pub course: String,
    pub title: String,
    pub open: bool,
    pub credit: i64,
    pub check: Vec<CheckQuestion>,
    pub result: Option<CheckResult>,
    pub certificate: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreditRow {
    pub kind: String,
    pub title: String,
    pub hundredths: i64,
    pub earned_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoursView {
    pub year: i64,
    pub total: i64,
    pub target: i64,
    pub credits: Vec<CreditRow>,
    pub certificates: Vec<(String, String, i64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HomeStudy {
    pub year: i64,
    pub hours: i64,
    pub target: i64,
    pub in_progress: Vec<CourseCard>,
    pub due: Vec<CourseCard>,
    /// (href, title) of what to do next.
    pub next: Option<(String, String)>,
    pub events: Vec<events::EventCard>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertificateView {
    pub code: String,
    pub holder: String,
    pub unit: String,
    pub course: String,
    pub hundredths: i64,
    pub issued_at: i64,
    /// A competition award (执法能手, a prize) rather than a course: the competition and the award.
    #[serde(default)]
    pub award: Option<(String, String)>,
}

// ------------------------------------------------------------------------------------------------- server

#[cfg(feature = "ssr")]
mod build {
    use super::*;
    use crate::content::model::{Course, Lesson};
    use crate::server::auth::CurrentUser;
    use sqlx::AnyConnection;
    use std::collections::HashMap;

    /// Cards for courses with the caller's progress, enrolment and earliest due assignment.
    pub async fn cards(
        conn: &mut AnyConnection,
        user: &CurrentUser,
        courses: &[Course],
        lessons: &HashMap<String, Lesson>,
    ) -> Result<Vec<CourseCard>, AppError> {
        let progress = ssr::progress(conn, user.id).await?;
        let enrolments = ssr::enrolments(conn, user.id).await?;
        let due = admin::ssr::due_for(conn, user).await?;
        Ok(courses
            .iter()
            .map(|c| {
                let ls = ssr::ordered(c, lessons);
                let done = ls
                    .iter()
                    .filter(|l| {
                        progress
                            .get(&l.meta.id)
                            .cloned()
                            .unwrap_or_default()
                            .completes(l)
                    })
                    .count();
                let mut industries: Vec<String> =
                    ls.iter().flat_map(|l| l.meta.industries.clone()).collect();
                industries.sort();
                industries.dedup();
                let e = enrolments.get(&c.id);
                // The test counts as one more step of the course.
                let steps = ls.len() as i64 + 1;
                let finished = done as i64 + i64::from(e.is_some_and(|e| e.test_passed));
                CourseCard {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    summary: c.summary.clone(),
                    track: c.track.clone(),
                    level: c.level.clone(),
                    industries,
                    lessons: ls.len(),
                    done,
                    percent: rules::percent(finished, steps),
                    enrolled: e.is_some(),
                    completed: e.is_some_and(|e| e.completed_at.is_some()),
                    due_at: due.get(&c.id).copied(),
                }
            })
            .collect())
    }

    /// The course a lesson belongs to, as the viewer sees it.
    pub fn course_of<'a>(courses: &'a [Course], lesson: &str) -> Option<&'a Course> {
        courses.iter().find(|c| {
            c.module
                .iter()
                .any(|m| m.lessons.iter().any(|l| l == lesson))
        })
    }
}

#[server(prefix = "/api", endpoint = "course_catalogue")]
pub async fn course_catalogue() -> Result<CatalogueData, AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let courses = ssr::courses(&mut conn, &user.unit_path).await?;
    let lessons = ssr::lessons(&mut conn, &user.unit_path).await?;
    Ok(CatalogueData {
        courses: build::cards(&mut conn, &user, &courses, &lessons).await?,
        industries: crate::library::ssr_industries(&mut conn).await?,
    })
}

#[server(prefix = "/api", endpoint = "enrol_course")]
pub async fn enrol_course(course: String) -> Result<(), AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    ssr::course(&mut conn, &user.unit_path, &course).await?;
    ssr::enrol(&mut conn, user.id, &course, "self").await?;
    leptos_axum::redirect(&format!("/courses/{course}"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "get_course")]
pub async fn get_course(id: String) -> Result<CourseView, AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let c = ssr::course(&mut conn, &user.unit_path, &id).await?;
    let lessons = ssr::lessons(&mut conn, &user.unit_path).await?;
    let card = build::cards(&mut conn, &user, std::slice::from_ref(&c), &lessons)
        .await?
        .remove(0);
    let progress = ssr::progress(&mut conn, user.id).await?;
    let enrolment = ssr::enrolments(&mut conn, user.id).await?.remove(&c.id);
    let modules = c
        .module
        .iter()
        .map(|m| ModuleView {
            title: m.title.clone(),
            lessons: m
                .lessons
                .iter()
                .filter_map(|id| lessons.get(id))
                .map(|l| {
                    let p = progress.get(&l.meta.id).cloned().unwrap_or_default();
                    LessonRow {
                        id: l.meta.id.clone(),
                        title: l.meta.title.clone(),
                        minutes: l.meta.minutes,
                        seconds: p.seconds,
                        done: p.completes(l),
                    }
                })
                .collect(),
        })
        .collect::<Vec<_>>();
    let first_open = modules
        .iter()
        .flat_map(|m| m.lessons.iter())
        .find(|l| !l.done)
        .map(|l| l.id.clone());
    let certificate = ssr::certificate_of(&mut conn, user.id, &c.id).await?;
    let test_questions = ssr::ordered(&c, &lessons)
        .iter()
        .map(|l| l.meta.questions.len())
        .sum();
    Ok(CourseView {
        resume: enrolment
            .as_ref()
            .and_then(|e| e.last_lesson.clone())
            .filter(|l| lessons.contains_key(l))
            .or(first_open),
        test_open: card.done == card.lessons && card.lessons > 0,
        test_passed: enrolment.is_some_and(|e| e.test_passed),
        test_questions,
        certificate,
        modules,
        card,
    })
}

/// A lesson to study. Opening it enrols the trainee in its course and remembers it as where they left off.
#[server(prefix = "/api", endpoint = "study_lesson")]
pub async fn study_lesson(id: String) -> Result<LessonStudy, AppError> {
    use crate::server::{auth, content_store, markdown, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let lessons = ssr::lessons(&mut conn, &user.unit_path).await?;
    let lesson = lessons.get(&id).ok_or(AppError::NotFound)?;
    let courses = ssr::courses(&mut conn, &user.unit_path).await?;
    let course = build::course_of(&courses, &id);
    let rules = ssr::hour_rules(&mut conn).await?;
    let (mut prev, mut next) = (None, None);
    if let Some(c) = course {
        ssr::enrol(&mut conn, user.id, &c.id, "self").await?;
        sqlx::query("update enrolment set last_lesson = $1 where user_id = $2 and course_key = $3")
            .bind(&id)
            .bind(user.id)
            .bind(&c.id)
            .execute(&mut *conn)
            .await?;
        let order = ssr::ordered(c, &lessons);
        if let Some(i) = order.iter().position(|l| l.meta.id == id) {
            let pair =
                |l: &&crate::content::model::Lesson| (l.meta.id.clone(), l.meta.title.clone());
            prev = i.checked_sub(1).and_then(|j| order.get(j)).map(pair);
            next = order.get(i + 1).map(pair);
        }
    }
    let p = ssr::progress_in(&mut conn, user.id, &id).await?;
    let questions = ssr::gradable(&mut conn, &lesson.meta.questions).await?;
    let laws = content_store::laws(&mut conn).await?;
    let result = p
        .answers
        .as_deref()
        .and_then(|a| serde_json::from_str::<Vec<Vec<String>>>(a).ok())
        .map(|a| ssr::grade(&questions, &a, &laws, rules.pass_percent));
    Ok(LessonStudy {
        id: lesson.meta.id.clone(),
        title: lesson.meta.title.clone(),
        minutes: lesson.meta.minutes,
        objectives: lesson.meta.objectives.clone(),
        html: markdown::render(&lesson.body),
        course: course.map(|c| (c.id.clone(), c.title.clone())),
        prev,
        next,
        seconds: p.seconds,
        done: rules::lesson_complete(
            !questions.is_empty(),
            p.passed,
            p.seconds,
            lesson.meta.minutes,
        ),
        heartbeat: state.heartbeat,
        credit: rules.lesson(lesson.meta.minutes),
        video: sqlx::query_scalar::<_, i64>("select 1 from lesson_video where lesson_key = $1")
            .bind(&id)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
        check: ssr::check_view(&questions),
        result,
    })
}

/// Counts reading time: the page sends this while it is visible and in use. Returns the lesson's total seconds.
#[server(prefix = "/api", endpoint = "heartbeat")]
pub async fn heartbeat(lesson: String) -> Result<i64, AppError> {
    use crate::server::{auth, db, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    // Every open lesson page sends this every interval: one lesson and one progress row, nothing more.
    let l = ssr::lesson(&mut conn, &user.unit_path, &lesson).await?;
    ssr::ensure_progress(&mut conn, user.id, &lesson).await?;
    let p = ssr::progress_in(&mut conn, user.id, &lesson).await?;
    let now = db::now();
    let beat = rules::Heartbeat {
        interval: state.heartbeat,
    };
    let seconds =
        (p.seconds + beat.earned(p.last_beat_at, now)).min(rules::reading_cap(l.meta.minutes));
    sqlx::query(
        "update lesson_progress set seconds = $1, last_beat_at = $2, updated_at = $2 where user_id = $3 and lesson_key = $4",
    )
    .bind(seconds.max(p.seconds))
    .bind(now)
    .bind(user.id)
    .bind(&lesson)
    .execute(&mut *conn)
    .await?;
    Ok(seconds.max(p.seconds))
}

/// Grades a lesson's knowledge check. Passing completes the lesson and credits its 学时 once.
#[server(prefix = "/api", endpoint = "submit_check")]
pub async fn submit_check(
    lesson: String,
    a: Option<BTreeMap<String, String>>,
) -> Result<bool, AppError> {
    use crate::server::{auth, content_store, db, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let lessons = ssr::lessons(&mut conn, &user.unit_path).await?;
    let l = lessons.get(&lesson).ok_or(AppError::NotFound)?;
    let questions = ssr::gradable(&mut conn, &l.meta.questions).await?;
    if questions.is_empty() {
        return Err(AppError::NotFound);
    }
    let answers = ssr::answers_from_form(&questions, &a.unwrap_or_default());
    if answers.iter().any(Vec::is_empty) {
        return Err(AppError::field("a", "study.err_unanswered"));
    }
    let rules = ssr::hour_rules(&mut conn).await?;
    let laws = content_store::laws(&mut conn).await?;
    let result = ssr::grade(&questions, &answers, &laws, rules.pass_percent);
    ssr::ensure_progress(&mut conn, user.id, &lesson).await?;
    let now = db::now();
    sqlx::query(
        "update lesson_progress set check_answers = $1, check_score = $2, updated_at = $3, \
         check_passed_at = case when $4 = 1 and check_passed_at is null then $3 else check_passed_at end \
         where user_id = $5 and lesson_key = $6",
    )
    .bind(serde_json::to_string(&answers).unwrap_or_default())
    .bind(result.right as i64)
    .bind(now)
    .bind(i64::from(result.passed))
    .bind(user.id)
    .bind(&lesson)
    .execute(&mut *conn)
    .await?;
    if result.passed {
        let courses = ssr::courses(&mut conn, &user.unit_path).await?;
        if let Some(c) = build::course_of(&courses, &lesson) {
            ssr::credit(
                &mut conn,
                user.id,
                "lesson",
                &format!("{}/{}", c.id, lesson),
                &l.meta.title,
                rules.lesson(l.meta.minutes),
            )
            .await?;
            ssr::complete_if_done(&mut conn, &user, c, &lessons).await?;
        }
    }
    Ok(result.passed)
}

#[server(prefix = "/api", endpoint = "get_course_test")]
pub async fn get_course_test(course: String) -> Result<CourseTest, AppError> {
    use crate::server::{auth, content_store, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let c = ssr::course(&mut conn, &user.unit_path, &course).await?;
    let lessons = ssr::lessons(&mut conn, &user.unit_path).await?;
    let open = ssr::all_complete(&c, &lessons, &ssr::progress(&mut conn, user.id).await?);
    let questions = ssr::test_questions(&mut conn, &c, &lessons).await?;
    let rules = ssr::hour_rules(&mut conn).await?;
    let laws = content_store::laws(&mut conn).await?;
    let enrolment = ssr::enrolments(&mut conn, user.id).await?.remove(&course);
    let result = enrolment
        .and_then(|e| e.test_answers)
        .and_then(|a| serde_json::from_str::<Vec<Vec<String>>>(&a).ok())
        .map(|a| ssr::grade(&questions, &a, &laws, rules.pass_percent));
    Ok(CourseTest {
        course: c.id.clone(),
        title: c.title.clone(),
        open,
        credit: rules.course_test,
        check: if open {
            ssr::check_view(&questions)
        } else {
            Vec::new()
        },
        result,
        certificate: ssr::certificate_of(&mut conn, user.id, &course).await?,
    })
}

/// Grades a course's final test; open once every lesson is complete. Passing credits its 学时 and, with all
/// lessons complete, completes the course and issues the certificate.
#[server(prefix = "/api", endpoint = "submit_course_test")]
pub async fn submit_course_test(
    course: String,
    a: Option<BTreeMap<String, String>>,
) -> Result<bool, AppError> {
    use crate::server::{auth, content_store, db, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let c = ssr::course(&mut conn, &user.unit_path, &course).await?;
    let lessons = ssr::lessons(&mut conn, &user.unit_path).await?;
    if !ssr::all_complete(&c, &lessons, &ssr::progress(&mut conn, user.id).await?) {
        return Err(AppError::field("a", "study.err_test_closed"));
    }
    let questions = ssr::test_questions(&mut conn, &c, &lessons).await?;
    let answers = ssr::answers_from_form(&questions, &a.unwrap_or_default());
    if answers.iter().any(Vec::is_empty) {
        return Err(AppError::field("a", "study.err_unanswered"));
    }
    let rules = ssr::hour_rules(&mut conn).await?;
    let laws = content_store::laws(&mut conn).await?;
    let result = ssr::grade(&questions, &answers, &laws, rules.pass_percent);
    ssr::enrol(&mut conn, user.id, &course, "self").await?;
    sqlx::query(
        "update enrolment set test_answers = $1, \
         test_passed_at = case when $2 = 1 and test_passed_at is null then $3 else test_passed_at end \
         where user_id = $4 and course_key = $5",
    )
    .bind(serde_json::to_string(&answers).unwrap_or_default())
    .bind(i64::from(result.passed))
    .bind(db::now())
    .bind(user.id)
    .bind(&course)
    .execute(&mut *conn)
    .await?;
    if result.passed {
        ssr::credit(
            &mut conn,
            user.id,
            "course_test",
            &course,
            &c.title,
            rules.course_test,
        )
        .await?;
        ssr::complete_if_done(&mut conn, &user, &c, &lessons).await?;
    }
    Ok(result.passed)
}

#[server(prefix = "/api", endpoint = "my_hours")]
pub async fn my_hours() -> Result<HoursView, AppError> {
    use crate::server::{auth, db, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let year = ssr::year_of(db::now());
    let rules = ssr::hour_rules(&mut conn).await?;
    let credits: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "select kind, title, hundredths, earned_at from credit where user_id = $1 and year = $2 order by earned_at desc, credit_id desc",
    )
    .bind(user.id)
    .bind(year)
    .fetch_all(&mut *conn)
    .await?;
    let certificates: Vec<(String, String, i64)> = sqlx::query_as(
        "select code, course_title, issued_at from certificate where user_id = $1 order by issued_at desc",
    )
    .bind(user.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(HoursView {
        year,
        total: credits.iter().map(|c| c.2).sum(),
        target: rules.yearly_target,
        credits: credits
            .into_iter()
            .map(|(kind, title, hundredths, earned_at)| CreditRow {
                kind,
                title,
                hundredths,
                earned_at,
            })
            .collect(),
        certificates,
    })
}

#[server(prefix = "/api", endpoint = "study_home")]
pub async fn study_home() -> Result<HomeStudy, AppError> {
    use crate::server::{auth, db, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let year = ssr::year_of(db::now());
    let rules = ssr::hour_rules(&mut conn).await?;
    let hours = ssr::hours_of(&mut conn, user.id, year).await?;
    let courses = ssr::courses(&mut conn, &user.unit_path).await?;
    let lessons = ssr::lessons(&mut conn, &user.unit_path).await?;
    let cards = build::cards(&mut conn, &user, &courses, &lessons).await?;
    let mut due: Vec<CourseCard> = cards
        .iter()
        .filter(|c| c.due_at.is_some() && !c.completed)
        .cloned()
        .collect();
    due.sort_by_key(|c| c.due_at);
    let in_progress: Vec<CourseCard> = cards
        .iter()
        .filter(|c| c.enrolled && !c.completed)
        .cloned()
        .collect();
    let enrolments = ssr::enrolments(&mut conn, user.id).await?;
    // Next: the earliest due course, else a course in progress; its resume lesson, or its test.
    let next = due.first().or(in_progress.first()).map(|c| {
        if c.done == c.lessons && c.lessons > 0 {
            (format!("/courses/{}/test", c.id), c.title.clone())
        } else {
            let resume = enrolments
                .get(&c.id)
                .and_then(|e| e.last_lesson.clone())
                .filter(|l| lessons.contains_key(l));
            match resume {
                Some(l) => (
                    format!("/lessons/{l}"),
                    lessons
                        .get(&l)
                        .map(|x| x.meta.title.clone())
                        .unwrap_or_default(),
                ),
                None => (format!("/courses/{}", c.id), c.title.clone()),
            }
        }
    });
    // Nothing started and nothing assigned: suggest the first course not yet completed.
    let next = next.or_else(|| {
        cards
            .iter()
            .find(|c| !c.completed)
            .map(|c| (format!("/courses/{}", c.id), c.title.clone()))
    });
    Ok(HomeStudy {
        year,
        hours,
        target: rules.yearly_target,
        in_progress,
        due,
        next,
        events: events::ssr::upcoming_for(&mut conn, &user).await?,
    })
}

#[server(prefix = "/api", endpoint = "get_certificate")]
pub async fn get_certificate(code: String) -> Result<CertificateView, AppError> {
    use crate::server::{auth, state::app_state};
    let user = auth::require_user().await?;
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    type Row = (String, i64, String, String, i64, i64, String, String);
    let row: Option<Row> = sqlx::query_as(
        "select c.code, c.user_id, c.holder_name, c.course_title, c.hundredths, c.issued_at, un.name, un.path \
         from certificate c join app_user u on u.user_id = c.user_id join unit un on un.unit_id = u.unit_id \
         where c.code = $1",
    )
    .bind(code.trim().to_uppercase())
    .fetch_optional(&mut *conn)
    .await?;
    let (code, holder_id, holder, course, hundredths, issued_at, unit, path) =
        row.ok_or(AppError::NotFound)?;
    // The holder, or an admin over the holder's unit.
    let admin_over = user.has(crate::domain::Role::Admin) && user.scopes(&path);
    if holder_id != user.id && !admin_over {
        return Err(AppError::NotFound);
    }
    Ok(CertificateView {
        code,
        holder,
        unit,
        course,
        hundredths,
        issued_at,
        award: None,
    })
}

/// The public check of a certificate code: who, what and when for a genuine code, nothing else.
#[server(prefix = "/api", endpoint = "verify_certificate")]
pub async fn verify_certificate(code: String) -> Result<Option<CertificateView>, AppError> {
    use crate::server::state::app_state;
    let code = code.trim().to_uppercase();
    if code.is_empty() || code.len() > 40 {
        return Ok(None);
    }
    let state = app_state()?;
    let mut conn = state.pool.acquire().await?;
    let row: Option<(String, String, String, i64, i64, String)> = sqlx::query_as(
        "select c.code, c.holder_name, c.course_title, c.hundredths, c.issued_at, un.name \
         from certificate c join app_user u on u.user_id = c.user_id join unit un on un.unit_id = u.unit_id \
         where c.code = $1",
    )
    .bind(&code)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((code, holder, course, hundredths, issued_at, unit)) = row {
        return Ok(Some(CertificateView {
            code,
            holder,
            unit,
            course,
            hundredths,
            issued_at,
            award: None,
        }));
    }
    let award: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "select a.code, u.display_name, un.name, c.name || '|' || a.title, a.issued_at from award_certificate a \
         join entrant e on e.entrant_id = a.entrant_id join app_user u on u.user_id = e.user_id \
         join unit un on un.unit_id = e.unit_id join competition c on c.competition_id = a.competition_id where a.code = $1",
    )
    .bind(&code)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(award.map(|(code, holder, unit, what, issued_at)| {
        let (competition, title) = what.split_once('|').unwrap_or((&what, ""));
        CertificateView {
            code,
            holder,
            unit,
            course: String::new(),
            hundredths: 0,
            issued_at,
            award: Some((competition.to_owned(), title.to_owned())),
        }
    }))
}

// ------------------------------------------------------------------------------------------------- pages

fn track_label(track: &str) -> String {
    t(&format!("study.track_{track}"))
}

fn level_label(level: &str) -> String {
    t(&format!("study.level_{level}"))
}

#[component]
pub fn CoursesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| course_catalogue());
    view! { <Protected><CoursesBody data/></Protected> }
}

#[component]
fn CoursesBody(data: Resource<Result<CatalogueData, AppError>>) -> impl IntoView {
    let query = use_query_map();
    let filter = move |k: &str| query.with(|q| q.get(k).unwrap_or_default());
    view! {
        <leptos_meta::Title text=t("study.courses")/>
        <PageHeader title=t("study.courses") subtitle=t("study.courses_hint")>
            <a class="btn" href="/study/hours">{t("study.my_hours")}</a>
            <a class="btn" href="/events">{t("events.title")}</a>
        </PageHeader>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => {
                        let (track, industry, level) = (filter("track"), filter("industry"), filter("level"));
                        let shown: Vec<CourseCard> = c.courses.iter().filter(|x| {
                            (track.is_empty() || x.track == track)
                                && (level.is_empty() || x.level == level)
                                && (industry.is_empty() || x.industries.contains(&industry))
                        }).cloned().collect();
                        view! {
                            <form class="filters" method="get" action="/courses">
                                <select name="track" aria-label=t("study.track")>
                                    <option value="">{t("study.all_tracks")}</option>
                                    {TRACKS.iter().map(|k| view! { <option value=*k selected=track == *k>{track_label(k)}</option> }).collect_view()}
                                </select>
                                <select name="industry" aria-label=t("study.industry")>
                                    <option value="">{t("study.all_industries")}</option>
                                    {c.industries.iter().map(|(id, name)| view! { <option value=id.clone() selected=industry == *id>{name.clone()}</option> }).collect_view()}
                                </select>
                                <select name="level" aria-label=t("study.level")>
                                    <option value="">{t("study.all_levels")}</option>
                                    {LEVELS.iter().map(|k| view! { <option value=*k selected=level == *k>{level_label(k)}</option> }).collect_view()}
                                </select>
                                <button type="submit" class="btn">{t("study.filter")}</button>
                            </form>
                            {if shown.is_empty() {
                                view! { <Empty title=t("study.none") hint=t("study.none_hint")/> }.into_any()
                            } else {
                                view! { <div class="grid cards">{shown.into_iter().map(|c| view! { <CourseCardView c/> }).collect_view()}</div> }.into_any()
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
fn CourseCardView(c: CourseCard) -> impl IntoView {
    view! {
        <a class="card case-card course-card" href=format!("/courses/{}", c.id)>
            <span>
                <span class="tag">{track_label(&c.track)}</span>
                <span class="tag">{level_label(&c.level)}</span>
                {c.completed.then(|| view! { <span class="tag tag-ok">{t("study.completed")}</span> })}
                {c.due_at.filter(|_| !c.completed).map(|d| view! { <span class="tag tag-warn">{t_with("study.due", &[("date", &crate::ui::format_time(d))])}</span> })}
            </span>
            <strong class="hit-title">{c.title.clone()}</strong>
            <span class="muted small">{t_with("study.lessons_done", &[("done", &c.done.to_string()), ("n", &c.lessons.to_string())])}</span>
            <div class="meter" role="img" aria-label=format!("{}%", c.percent)><div class="meter-bar" style=format!("width:{}%", c.percent)></div></div>
        </a>
    }
}

#[component]
pub fn CoursePage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let enrol = ServerAction::<EnrolCourse>::new();
    let data = Resource::new(
        move || (id(), enrol.version().get()),
        |(id, _)| get_course(id),
    );
    view! { <Protected><CourseBody enrol data/></Protected> }
}

#[component]
fn CourseBody(
    enrol: ServerAction<EnrolCourse>,
    data: Resource<Result<CourseView, AppError>>,
) -> impl IntoView {
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => {
                        let id = c.card.id.clone();
                        let enrol_id = id.clone();
                        view! {
                            <leptos_meta::Title text=c.card.title.clone()/>
                            <PageHeader title=c.card.title.clone() subtitle=format!("{} · {}", track_label(&c.card.track), level_label(&c.card.level))>
                                {c.resume.clone().map(|l| view! { <a class="btn btn-primary" id="resume" href=format!("/lessons/{l}")>{t(if c.card.enrolled { "study.resume" } else { "study.start" })}</a> })}
                            </PageHeader>
                            <p>{c.card.summary.clone()}</p>
                            {c.card.due_at.map(|d| view! { <p class="alert alert-info">{t_with("study.assigned_due", &[("date", &crate::ui::format_time(d))])}</p> })}
                            {(!c.card.enrolled).then(|| view! {
                                <ActionFeedback action=enrol/>
                                <ActionForm action=enrol attr:class="inline">
                                    <input type="hidden" name="course" value=enrol_id.clone()/>
                                    <button type="submit" class="btn" id="enrol">{t("study.enrol")}</button>
                                </ActionForm>
                            })}
                            <div class="meter" role="img" aria-label=format!("{}%", c.card.percent)><div class="meter-bar" style=format!("width:{}%", c.card.percent)></div></div>
                            <p class="muted small">{t_with("study.lessons_done", &[("done", &c.card.done.to_string()), ("n", &c.card.lessons.to_string())])}</p>
                            {c.modules.into_iter().map(|m| view! {
                                <section class="card module">
                                    <h2>{m.title.clone()}</h2>
                                    <ol class="lesson-list">
                                        {m.lessons.into_iter().map(|l| view! {
                                            <li class=if l.done { "lesson-row done" } else { "lesson-row" }>
                                                <span class="lesson-mark" aria-hidden="true">{if l.done { "✓" } else { "○" }}</span>
                                                <span class="lesson-main">
                                                    <a href=format!("/lessons/{}", l.id)>{l.title.clone()}</a>
                                                    <span class="muted small">{t_with("lesson.minutes", &[("n", &l.minutes.to_string())])}</span>
                                                </span>
                                                {l.done.then(|| view! { <span class="tag tag-ok">{t("study.lesson_done")}</span> })}
                                            </li>
                                        }).collect_view()}
                                    </ol>
                                </section>
                            }).collect_view()}
                            <section class="card">
                                <h2>{t("study.course_test")}</h2>
                                {if c.test_passed {
                                    view! { <p class="tag tag-ok">{t("study.test_passed")}</p> }.into_any()
                                } else if c.test_open {
                                    view! { <p>{t_with("study.test_ready", &[("n", &c.test_questions.to_string())])}</p><a class="btn btn-primary" id="take-test" href=format!("/courses/{id}/test")>{t("study.take_test")}</a> }.into_any()
                                } else {
                                    view! { <p class="muted">{t("study.test_locked")}</p> }.into_any()
                                }}
                                {c.certificate.clone().map(|code| view! {
                                    <p><a class="btn" id="certificate-link" href=format!("/certificates/{code}")>{t("study.view_certificate")}</a></p>
                                })}
                            </section>
                        }.into_any()
                    }
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Sends heartbeats while the page is visible and someone has used it in the last five minutes.
#[component]
fn ReadingClock(lesson: String, seconds: i64, interval: i64) -> impl IntoView {
    let total = RwSignal::new(seconds);
    let last_activity = StoredValue::new(0.0_f64);
    let beat = ServerAction::<Heartbeat>::new();
    Effect::new(move |_| {
        if let Some(Ok(n)) = beat.value().get() {
            total.set(n);
        }
    });
    Effect::new(move |_| {
        let now = || js_sys_now();
        last_activity.set_value(now());
        let handles = [
            window_event_listener(leptos::ev::scroll, move |_| last_activity.set_value(now())),
            window_event_listener(leptos::ev::keydown, move |_| last_activity.set_value(now())),
            window_event_listener(leptos::ev::pointermove, move |_| {
                last_activity.set_value(now())
            }),
            window_event_listener(leptos::ev::pointerdown, move |_| {
                last_activity.set_value(now())
            }),
        ];
        let lesson = lesson.clone();
        let handle = set_interval_with_handle(
            move || {
                let visible = !document().hidden();
                let active = now() - last_activity.get_value() < 5.0 * 60.0 * 1000.0;
                if visible && active {
                    beat.dispatch(Heartbeat {
                        lesson: lesson.clone(),
                    });
                }
            },
            std::time::Duration::from_secs(interval.max(1) as u64),
        )
        .ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
            for h in handles {
                h.remove();
            }
        });
    });
    view! {
        <p class="muted small reading" id="reading-time" data-seconds=move || total.get().to_string()>
            {move || {
                let s = total.get();
                t_with("study.reading_time", &[("m", &(s / 60).to_string()), ("s", &(s % 60).to_string())])
            }}
        </p>
    }
}

fn js_sys_now() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

#[component]
pub fn StudyLessonPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let check = ServerAction::<SubmitCheck>::new();
    let data = Resource::new(
        move || (id(), check.version().get()),
        |(id, _)| study_lesson(id),
    );
    view! { <Protected><StudyLessonBody check data/></Protected> }
}

#[component]
fn StudyLessonBody(
    check: ServerAction<SubmitCheck>,
    data: Resource<Result<LessonStudy, AppError>>,
) -> impl IntoView {
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    // Keyed by lesson and result: moving to another lesson, or a new result, builds fresh inputs
                    // (a rebuilt DOM would keep the previous lesson's ticks).
                    Ok(l) => {
                        let key = format!("{}|{}", l.id, serde_json::to_string(&l.result).unwrap_or_default());
                        view! {
                            <For each=move || [(key.clone(), l.clone())] key=|(k, _)| k.clone() let:((_, l))>
                                <LessonView l check/>
                            </For>
                        }.into_any()
                    }
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LessonView(l: LessonStudy, check: ServerAction<SubmitCheck>) -> impl IntoView {
    let lesson_id = l.id.clone();
    view! {
        <leptos_meta::Title text=l.title.clone()/>
        <article class="narrow article lesson">
            {l.course.clone().map(|(id, title)| view! { <p class="small"><a href=format!("/courses/{id}")>{"← "}{title}</a></p> })}
            <h1>{l.title.clone()}</h1>
            <p class="muted small">
                {t_with("lesson.minutes", &[("n", &l.minutes.to_string())])}{" · "}
                {t_with("study.lesson_credit", &[("h", &format_hours(l.credit))])}
                {l.done.then(|| view! { <span class="tag tag-ok" id="lesson-done">{t("study.lesson_done")}</span> })}
            </p>
            <ReadingClock lesson=l.id.clone() seconds=l.seconds interval=l.heartbeat/>
            <section class="card objectives">
                <h2>{t("lesson.objectives")}</h2>
                <ul>{l.objectives.iter().map(|o| view! { <li>{o.clone()}</li> }).collect_view()}</ul>
            </section>
            {l.video.then(|| view! {
                <video class="lesson-video" controls preload="metadata" src=format!("/video/{}", l.id)>
                    <a href=format!("/video/{}", l.id)>{t("study.video_download")}</a>
                </video>
            })}
            <div class="prose" inner_html=l.html.clone()></div>
            {(!l.check.is_empty()).then(|| view! {
                <section class="card lesson-check" id="check">
                    <h2>{t("study.check")}</h2>
                    {l.result.clone().map(|r| view! { <CheckResultView r/> })}
                    <ActionFeedback action=check/>
                    // Once passed, answering again stays possible but folds away.
                    <details class="check-again" open=!l.done>
                        <summary class=if l.done { "btn btn-small" } else { "sr-only" }>{t("study.check_again")}</summary>
                        <ActionForm action=check attr:class="form" attr:id="check-form">
                            <input type="hidden" name="lesson" value=lesson_id.clone()/>
                            <CheckInputs questions=l.check.clone()/>
                            <button type="submit" class="btn btn-primary" id="check-submit">
                                {t(if l.result.is_some() { "study.check_again" } else { "study.check_submit" })}
                            </button>
                        </ActionForm>
                    </details>
                </section>
            })}
            <nav class="pager">
                {l.prev.clone().map(|(id, title)| view! { <a class="btn" href=format!("/lessons/{id}")>{"← "}{title}</a> })}
                {l.next.clone().map(|(id, title)| view! { <a class="btn" id="next-lesson" href=format!("/lessons/{id}")>{title}{" →"}</a> })}
            </nav>
        </article>
    }
}

#[component]
fn CheckInputs(questions: Vec<CheckQuestion>) -> impl IntoView {
    questions
        .into_iter()
        .enumerate()
        .map(|(i, q)| {
            let key = q.key.clone();
            view! {
                <fieldset class="question">
                    <legend>{format!("{}. {}", i + 1, q.stem)}{q.multiple.then(|| view! { <span class="tag">{t("study.multiple")}</span> })}</legend>
                    {q.options.into_iter().map(|(letter, text)| {
                        let (kind, name) = if q.multiple {
                            ("checkbox", format!("a[{key}-{letter}]"))
                        } else {
                            ("radio", format!("a[{key}]"))
                        };
                        view! {
                            <label class="option">
                                <input type=kind name=name value=if q.multiple { "on".to_owned() } else { letter.clone() }/>
                                <span>{if letter.len() == 1 && letter != "T" && letter != "F" { format!("{letter}. {text}") } else { text }}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            }
        })
        .collect_view()
}

#[component]
fn CheckResultView(r: CheckResult) -> impl IntoView {
    view! {
        <div class=if r.passed { "alert alert-ok" } else { "alert alert-error" } id="check-result" role="status">
            {t_with(if r.passed { "study.check_passed" } else { "study.check_failed" }, &[("right", &r.right.to_string()), ("n", &r.total.to_string())])}
        </div>
        <ol class="verdicts">
            {r.items.into_iter().map(|i| view! {
                <li class=if i.right { "verdict verdict-good" } else { "verdict verdict-bad" }>
                    <span class="verdict-mark">{t(if i.right { "play.verdict_good" } else { "play.verdict_bad" })}</span>
                    <span class="verdict-text">{i.stem.clone()}</span>
                    <p class="small">{t_with("study.yours_answer", &[("yours", &i.yours), ("answer", &i.answer)])}</p>
                    <p class="verdict-note">{i.explanation.clone()}</p>
                    {(!i.basis.is_empty()).then(|| view! { <p class="basis small">{t("play.basis")}{i.basis.join("；")}</p> })}
                </li>
            }).collect_view()}
        </ol>
    }
}

#[component]
pub fn CourseTestPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let submit = ServerAction::<SubmitCourseTest>::new();
    let data = Resource::new(
        move || (id(), submit.version().get()),
        |(id, _)| get_course_test(id),
    );
    view! { <Protected><CourseTestBody submit data/></Protected> }
}

#[component]
fn CourseTestBody(
    submit: ServerAction<SubmitCourseTest>,
    data: Resource<Result<CourseTest, AppError>>,
) -> impl IntoView {
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(test) => view! {
                        <leptos_meta::Title text=t("study.course_test")/>
                        <article class="narrow article">
                            <p class="small"><a href=format!("/courses/{}", test.course)>{"← "}{test.title.clone()}</a></p>
                            <h1>{t("study.course_test")}</h1>
                            <p class="muted small">{t_with("study.test_credit", &[("h", &format_hours(test.credit))])}</p>
                            {test.certificate.clone().map(|code| view! {
                                <p class="alert alert-ok">{t("study.certificate_ready")}" "<a id="certificate-link" href=format!("/certificates/{code}")>{t("study.view_certificate")}</a></p>
                            })}
                            {test.result.clone().map(|r| view! { <CheckResultView r/> })}
                            {if test.open {
                                view! {
                                    <ActionFeedback action=submit/>
                                    <ActionForm action=submit attr:class="form card" attr:id="test-form">
                                        <input type="hidden" name="course" value=test.course.clone()/>
                                        <CheckInputs questions=test.check.clone()/>
                                        <button type="submit" class="btn btn-primary" id="test-submit">{t("study.check_submit")}</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! { <p class="muted">{t("study.test_locked")}</p> }.into_any()
                            }}
                        </article>
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The 学时 bar: this year's hours against the target.
#[component]
pub fn HoursBar(hours: i64, target: i64, year: i64) -> impl IntoView {
    let pct = rules::percent(hours, target);
    let label = t_with(
        "study.hours_bar",
        &[
            ("year", &year.to_string()),
            ("done", &format_hours(hours)),
            ("target", &format_hours(target)),
        ],
    );
    view! {
        <div class="meter" role="img" aria-label=label.clone()><div class="meter-bar" style=format!("width:{pct}%")></div></div>
        <p class="muted small" id="hours-label" data-hundredths=hours.to_string()>{label}</p>
    }
}

#[component]
pub fn HoursPage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let data = Resource::new(|| (), |_| my_hours());
    view! { <Protected><HoursBody data/></Protected> }
}

#[component]
fn HoursBody(data: Resource<Result<HoursView, AppError>>) -> impl IntoView {
    view! {
        <leptos_meta::Title text=t("study.my_hours")/>
        <PageHeader title=t("study.my_hours")/>
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(h) => view! {
                        <section class="card"><HoursBar hours=h.total target=h.target year=h.year/></section>
                        {if h.credits.is_empty() {
                            view! { <Empty title=t("study.no_credits") hint=t("study.no_credits_hint")/> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap"><table class="table">
                                    <thead><tr><th>{t("study.col_item")}</th><th>{t("study.col_kind")}</th><th>{t("study.col_hours")}</th><th>{t("study.col_when")}</th></tr></thead>
                                    <tbody>{h.credits.into_iter().map(|c| view! {
                                        <tr><td>{c.title.clone()}</td><td class="nowrap">{t(&format!("study.kind_{}", c.kind))}</td><td>{format_hours(c.hundredths)}</td><td>{crate::ui::format_time(c.earned_at)}</td></tr>
                                    }).collect_view()}</tbody>
                                </table></div>
                            }.into_any()
                        }}
                        {(!h.certificates.is_empty()).then(|| view! {
                            <h2>{t("study.certificates")}</h2>
                            <ul>{h.certificates.into_iter().map(|(code, title, at)| view! {
                                <li><a href=format!("/certificates/{code}")>{title}</a>{format!(" · {}", crate::ui::format_time(at))}</li>
                            }).collect_view()}</ul>
                        })}
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The certificate as an A4 page to print.
#[component]
pub fn CertificatePage() -> impl IntoView {
    // Made here, outside Protected's Suspense, so the server fetches once per request.
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let data = Resource::new(code, get_certificate);
    view! { <Protected><CertificateBody data/></Protected> }
}

#[component]
fn CertificateBody(data: Resource<Result<CertificateView, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => view! {
                        <leptos_meta::Title text=t("cert.title")/>
                        <p class="no-print actions"><button class="btn btn-primary" onclick="window.print()">{t("cert.print")}</button></p>
                        <div class="certificate" id="certificate">
                            <p class="cert-org">{t("brand.tagline")}</p>
                            <h1 class="cert-title">{t("cert.heading")}</h1>
                            <p class="cert-body">
                                {t_with("cert.body", &[("name", &c.holder), ("unit", &c.unit), ("course", &c.course), ("hours", &format_hours(c.hundredths))])}
                            </p>
                            <p class="cert-date">{crate::ui::format_time(c.issued_at).split(' ').next().unwrap_or_default().to_owned()}</p>
                            <p class="cert-code">{t("cert.code")}<strong id="certificate-code">{c.code.clone()}</strong></p>
                            <p class="cert-verify small">{t("cert.verify_at")}<code>{"/verify"}</code></p>
                        </div>
                    }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The public verification page: no login; a code gives name, course and date, or a plain "not genuine".
#[component]
pub fn VerifyPage() -> impl IntoView {
    let query = use_query_map();
    let code = move || query.with(|q| q.get("code").unwrap_or_default());
    let data = Resource::new(code, |c| async move {
        if c.trim().is_empty() {
            Ok(None)
        } else {
            verify_certificate(c).await.map(Some)
        }
    });
    view! {
        <leptos_meta::Title text=t("verify.title")/>
        <article class="narrow">
            <h1>{t("verify.title")}</h1>
            <p class="muted">{t("verify.hint")}</p>
            <form class="search" method="get" action="/verify">
                <input type="text" name="code" id="verify-code" required maxlength="40" autocomplete="off"
                    placeholder="ABCD-EFGH-JKLM" value=code aria-label=t("verify.code")/>
                <button type="submit" class="btn btn-primary">{t("verify.submit")}</button>
            </form>
            <Suspense fallback=crate::ui::Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(None)) => view! { <p class="alert alert-error" id="verify-result" role="status">{t("verify.not_genuine")}</p> }.into_any(),
                        Ok(Some(Some(c))) => view! {
                            <div class="alert alert-ok" id="verify-result" role="status">
                                <p><strong>{t("verify.genuine")}</strong></p>
                                <dl class="facts">
                                    <dt>{t("verify.holder")}</dt><dd>{c.holder.clone()}</dd>
                                    <dt>{t("verify.unit")}</dt><dd>{c.unit.clone()}</dd>
                                    {match c.award.clone() {
                                        Some((competition, title)) => view! {
                                            <dt>{t("verify.competition")}</dt><dd>{competition}</dd>
                                            <dt>{t("verify.award")}</dt><dd>{title}</dd>
                                        }.into_any(),
                                        None => view! {
                                            <dt>{t("verify.course")}</dt><dd>{c.course.clone()}</dd>
                                            <dt>{t("verify.hours")}</dt><dd>{format_hours(c.hundredths)}</dd>
                                        }.into_any(),
                                    }}
                                    <dt>{t("verify.date")}</dt><dd>{crate::ui::format_time(c.issued_at)}</dd>
                                </dl>
                            </div>
                        }.into_any(),
                        Err(err) => view! { <p class="alert alert-error">{crate::ui::error_text(&err)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </article>
    }
}
