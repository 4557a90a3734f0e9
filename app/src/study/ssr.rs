//! Study data on the server: rules, enrolments, reading progress, checks, credits and certificates.

use super::rules::{self, HourRules, Hundredths};
use super::*;
use crate::content::model::{Course, Lesson, Question, QuestionKind};
use crate::error::AppError;
use crate::server::{auth::CurrentUser, content_store, db};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, HashMap};

pub async fn hour_rules(conn: &mut AnyConnection) -> Result<HourRules, sqlx::Error> {
    let value: Option<String> =
        sqlx::query_scalar("select value from setting where key = 'hour_rules'")
            .fetch_optional(conn)
            .await?;
    Ok(value
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

pub async fn save_hour_rules(conn: &mut AnyConnection, r: &HourRules) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(r).unwrap_or_default();
    let updated = sqlx::query("update setting set value = $1 where key = 'hour_rules'")
        .bind(&json)
        .execute(&mut *conn)
        .await?;
    if updated.rows_affected() == 0 {
        sqlx::query("insert into setting (key, value) values ('hour_rules', $1)")
            .bind(&json)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The calendar year in China Standard Time of an epoch second.
pub fn year_of(epoch: i64) -> i64 {
    let cst = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .map(|t| i64::from(t.to_offset(cst).year()))
        .unwrap_or(1970)
}

pub async fn courses(conn: &mut AnyConnection, viewer: &str) -> Result<Vec<Course>, AppError> {
    Ok(content_store::visible_all(conn, "course", viewer)
        .await?
        .iter()
        .filter_map(|b| serde_json::from_str(b).ok())
        .collect())
}

pub async fn course(conn: &mut AnyConnection, viewer: &str, key: &str) -> Result<Course, AppError> {
    let body = content_store::visible_one(conn, "course", key, viewer)
        .await?
        .ok_or(AppError::NotFound)?;
    serde_json::from_str(&body).map_err(|e| AppError::internal("course body", e))
}

pub async fn lessons(
    conn: &mut AnyConnection,
    viewer: &str,
) -> Result<HashMap<String, Lesson>, AppError> {
    Ok(content_store::visible_all(conn, "lesson", viewer)
        .await?
        .iter()
        .filter_map(|b| serde_json::from_str::<Lesson>(b).ok())
        .map(|l| (l.meta.id.clone(), l))
        .collect())
}

/// The course's lessons in order, as far as they are published.
pub fn ordered<'a>(c: &Course, lessons: &'a HashMap<String, Lesson>) -> Vec<&'a Lesson> {
    c.module
        .iter()
        .flat_map(|m| m.lessons.iter())
        .filter_map(|id| lessons.get(id))
        .collect()
}

/// Questions by id, keeping the order asked for; only those a check can grade on its own.
pub async fn gradable(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<Question>, AppError> {
    let mut out = Vec::new();
    for id in ids {
        if let Some((_, body)) = content_store::published(conn, "question", id).await?
            && let Ok(q) = serde_json::from_str::<Question>(&body)
            && q.kind != QuestionKind::Case
        {
            out.push(q);
        }
    }
    Ok(out)
}

pub fn letters(q: &Question) -> Vec<String> {
    if q.kind == QuestionKind::Judge {
        vec!["T".into(), "F".into()]
    } else {
        (0..q.options.len())
            .map(|i| char::from(b'A' + i as u8).to_string())
            .collect()
    }
}

/// What a check shows before it is answered: stems and options, never answers.
pub fn check_view(questions: &[Question]) -> Vec<CheckQuestion> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| CheckQuestion {
            key: format!("q{i}"),
            multiple: q.kind == QuestionKind::Multiple,
            stem: q.stem.clone(),
            options: letters(q)
                .into_iter()
                .zip(if q.kind == QuestionKind::Judge {
                    vec![
                        crate::i18n::t("study.judge_true"),
                        crate::i18n::t("study.judge_false"),
                    ]
                } else {
                    q.options.clone()
                })
                .collect(),
        })
        .collect()
}

/// Reads a submitted check: `a[q0]=B` for one answer, `a[q1-A]=on` per ticked box.
pub fn answers_from_form(
    questions: &[Question],
    form: &BTreeMap<String, String>,
) -> Vec<Vec<String>> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let key = format!("q{i}");
            let mut picked: Vec<String> = if q.kind == QuestionKind::Multiple {
                letters(q)
                    .into_iter()
                    .filter(|l| form.contains_key(&format!("{key}-{l}")))
                    .collect()
            } else {
                form.get(&key)
                    .filter(|v| letters(q).contains(v))
                    .cloned()
                    .into_iter()
                    .collect()
            };
            picked.sort();
            picked
        })
        .collect()
}

/// Grades answers; the result holds the feedback a trainee sees after submitting.
pub fn grade(
    questions: &[Question],
    answers: &[Vec<String>],
    laws: &HashMap<String, crate::content::model::Law>,
    pass_percent: u32,
) -> CheckResult {
    let items: Vec<CheckFeedback> = questions
        .iter()
        .zip(answers)
        .map(|(q, a)| {
            let mut right: Vec<String> = q.answer.clone();
            right.sort();
            let shown = |ls: &[String]| -> String {
                ls.iter()
                    .map(|l| match l.as_str() {
                        "T" => crate::i18n::t("study.judge_true"),
                        "F" => crate::i18n::t("study.judge_false"),
                        other => other.to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join("")
            };
            CheckFeedback {
                stem: q.stem.clone(),
                yours: shown(a),
                answer: shown(&right),
                right: *a == right,
                explanation: q.explanation.clone(),
                basis: q
                    .basis
                    .iter()
                    .map(|c| content_store::cite(c, laws))
                    .collect(),
            }
        })
        .collect();
    let right = items.iter().filter(|i| i.right).count();
    CheckResult {
        passed: rules::passes(right, items.len(), pass_percent),
        right,
        total: items.len(),
        items,
    }
}

#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub seconds: i64,
    pub last_beat_at: Option<i64>,
    pub passed: bool,
    pub answers: Option<String>,
}

impl Progress {
    /// Whether this progress completes `lesson` (its check passed, or read long enough if it has none).
    pub fn completes(&self, lesson: &Lesson) -> bool {
        rules::lesson_complete(
            !lesson.meta.questions.is_empty(),
            self.passed,
            self.seconds,
            lesson.meta.minutes,
        )
    }
}

const PROGRESS: &str = "select lesson_key, seconds, last_beat_at, check_passed_at, check_answers from lesson_progress where user_id = $1";

fn progress_row(r: &sqlx::any::AnyRow) -> Result<(String, Progress), sqlx::Error> {
    Ok((
        r.try_get("lesson_key")?,
        Progress {
            seconds: r.try_get("seconds")?,
            last_beat_at: r.try_get("last_beat_at")?,
            passed: r.try_get::<Option<i64>, _>("check_passed_at")?.is_some(),
            answers: r.try_get("check_answers")?,
        },
    ))
}

/// A person's progress in every lesson they opened.
pub async fn progress(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<HashMap<String, Progress>, sqlx::Error> {
    let rows = sqlx::query(PROGRESS).bind(user_id).fetch_all(conn).await?;
    rows.iter().map(progress_row).collect()
}

/// A person's progress in one lesson (none yet: nothing read, nothing passed).
pub async fn progress_in(
    conn: &mut AnyConnection,
    user_id: i64,
    lesson: &str,
) -> Result<Progress, sqlx::Error> {
    let row = sqlx::query(&format!("{PROGRESS} and lesson_key = $2"))
        .bind(user_id)
        .bind(lesson)
        .fetch_optional(conn)
        .await?;
    Ok(row
        .as_ref()
        .map(progress_row)
        .transpose()?
        .map(|(_, p)| p)
        .unwrap_or_default())
}

/// Whether every lesson of a course is complete (a course without lessons never is).
pub fn all_complete(
    c: &Course,
    lessons: &HashMap<String, Lesson>,
    progress: &HashMap<String, Progress>,
) -> bool {
    let ls = ordered(c, lessons);
    !ls.is_empty()
        && ls.iter().all(|l| {
            progress
                .get(&l.meta.id)
                .cloned()
                .unwrap_or_default()
                .completes(l)
        })
}

/// The questions of a course's final test: every lesson's check, in lesson order.
pub async fn test_questions(
    conn: &mut AnyConnection,
    c: &Course,
    lessons: &HashMap<String, Lesson>,
) -> Result<Vec<Question>, AppError> {
    let ids: Vec<String> = ordered(c, lessons)
        .iter()
        .flat_map(|l| l.meta.questions.clone())
        .collect();
    gradable(conn, &ids).await
}

/// One published lesson the viewer may see.
pub async fn lesson(conn: &mut AnyConnection, viewer: &str, key: &str) -> Result<Lesson, AppError> {
    let body = content_store::visible_one(conn, "lesson", key, viewer)
        .await?
        .ok_or(AppError::NotFound)?;
    serde_json::from_str(&body).map_err(|e| AppError::internal("lesson body", e))
}

/// The code of a person's certificate for a course, once issued.
pub async fn certificate_of(
    conn: &mut AnyConnection,
    user_id: i64,
    course: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select code from certificate where user_id = $1 and course_key = $2")
        .bind(user_id)
        .bind(course)
        .fetch_optional(conn)
        .await
}

/// Makes sure a progress row exists, so updates can be plain updates.
pub async fn ensure_progress(
    conn: &mut AnyConnection,
    user_id: i64,
    lesson: &str,
) -> Result<(), sqlx::Error> {
    let exists: Option<i64> =
        sqlx::query_scalar("select 1 from lesson_progress where user_id = $1 and lesson_key = $2")
            .bind(user_id)
            .bind(lesson)
            .fetch_optional(&mut *conn)
            .await?;
    if exists.is_none() {
        sqlx::query(
            "insert into lesson_progress (user_id, lesson_key, seconds, updated_at) values ($1, $2, 0, $3)",
        )
        .bind(user_id)
        .bind(lesson)
        .bind(db::now())
        .execute(conn)
        .await?;
    }
    Ok(())
}

pub async fn enrol(
    conn: &mut AnyConnection,
    user_id: i64,
    course: &str,
    source: &str,
) -> Result<(), sqlx::Error> {
    let exists: Option<i64> =
        sqlx::query_scalar("select 1 from enrolment where user_id = $1 and course_key = $2")
            .bind(user_id)
            .bind(course)
            .fetch_optional(&mut *conn)
            .await?;
    if exists.is_none() {
        sqlx::query(
            "insert into enrolment (user_id, course_key, source, enrolled_at) values ($1, $2, $3, $4)",
        )
        .bind(user_id)
        .bind(course)
        .bind(source)
        .bind(db::now())
        .execute(conn)
        .await?;
    }
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct Enrolment {
    pub last_lesson: Option<String>,
    pub test_passed: bool,
    pub test_answers: Option<String>,
    pub completed_at: Option<i64>,
}

pub async fn enrolments(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<HashMap<String, Enrolment>, sqlx::Error> {
    let rows = sqlx::query(
        "select course_key, last_lesson, test_passed_at, test_answers, completed_at from enrolment where user_id = $1",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("course_key")?,
                Enrolment {
                    last_lesson: r.try_get("last_lesson")?,
                    test_passed: r.try_get::<Option<i64>, _>("test_passed_at")?.is_some(),
                    test_answers: r.try_get("test_answers")?,
                    completed_at: r.try_get("completed_at")?,
                },
            ))
        })
        .collect()
}

/// Records a credit once; a second award for the same thing is ignored. Returns whether it was new.
pub async fn credit(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: &str,
    ref_key: &str,
    title: &str,
    hundredths: Hundredths,
) -> Result<bool, sqlx::Error> {
    let exists: Option<i64> = sqlx::query_scalar(
        "select 1 from credit where user_id = $1 and kind = $2 and ref_key = $3",
    )
    .bind(user_id)
    .bind(kind)
    .bind(ref_key)
    .fetch_optional(&mut *conn)
    .await?;
    if exists.is_some() {
        return Ok(false);
    }
    let now = db::now();
    sqlx::query(
        "insert into credit (user_id, year, kind, ref_key, title, hundredths, earned_at) values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(user_id)
    .bind(year_of(now))
    .bind(kind)
    .bind(ref_key)
    .bind(title)
    .bind(hundredths)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(true)
}

/// 学时 of a person in a year.
pub async fn hours_of(
    conn: &mut AnyConnection,
    user_id: i64,
    year: i64,
) -> Result<Hundredths, sqlx::Error> {
    sqlx::query_scalar(
        "select cast(coalesce(sum(hundredths), 0) as bigint) from credit where user_id = $1 and year = $2",
    )
    .bind(user_id)
    .bind(year)
    .fetch_one(conn)
    .await
}

/// A code that is hard to guess and easy to read out: 12 characters without 0/O or 1/I, in groups of four.
pub fn certificate_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let raw: String = (0..12)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12])
}

/// Completes a course when every lesson is complete and its test is passed: marks it, credits nothing more
/// (lessons and the test earned their 学时), and issues the certificate once.
pub async fn complete_if_done(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    c: &Course,
    lessons: &HashMap<String, Lesson>,
) -> Result<(), AppError> {
    let progress = progress(conn, user.id).await?;
    let enrolment = enrolments(conn, user.id)
        .await?
        .remove(&c.id)
        .unwrap_or_default();
    let all_done = all_complete(c, lessons, &progress);
    if !(all_done && enrolment.test_passed) || enrolment.completed_at.is_some() {
        return Ok(());
    }
    let now = db::now();
    sqlx::query("update enrolment set completed_at = $1 where user_id = $2 and course_key = $3")
        .bind(now)
        .bind(user.id)
        .bind(&c.id)
        .execute(&mut *conn)
        .await?;
    let earned: Hundredths = sqlx::query_scalar(
        "select cast(coalesce(sum(hundredths), 0) as bigint) from credit where user_id = $1 and \
         ((kind = 'course_test' and ref_key = $2) or (kind = 'lesson' and ref_key like $3))",
    )
    .bind(user.id)
    .bind(&c.id)
    .bind(format!("{}/%", c.id))
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "insert into certificate (code, user_id, course_key, course_title, holder_name, hundredths, issued_at) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(certificate_code())
    .bind(user.id)
    .bind(&c.id)
    .bind(&c.title)
    .bind(&user.display_name)
    .bind(earned)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
