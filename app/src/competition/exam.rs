//! The exam room: the theory paper as a small server-rendered page (no WASM bundle to download at the start),
//! a script that saves each answer as it changes, and the JSON routes it talks to.
//!
//! The page and `claim` run behind the session cookie. The answer routes authenticate by the sitting's exam token
//! alone and sit outside the session layer, so a save costs no session read or write. Each page load claims the
//! sitting: a fresh token, and the browser that held the old one is refused with 409 and told it was taken over.
//! Saves go through a writer that commits many candidates' answers in one transaction (group commit) and answers
//! each request only after its commit: an acknowledged answer is on disk.

use super::rules::{self, normalise_answer};
use super::ssr::{self, AnswerIn, Refusal, Sitting, StageRow};
use super::{StageKind, StageStatus};
use crate::error::AppError;
use crate::i18n::{LOCALE_COOKIE, Locale, tr};
use crate::server::auth::{CurrentUser, SESSION_AUTH_AT, SESSION_USER};
use crate::server::{AppState, Backend, db};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use std::sync::{Arc, OnceLock};
use tokio::sync::{Mutex, mpsc, oneshot};

pub const TOKEN_HEADER: &str = "x-exam-token";

// ---------------------------------------------------------------------------------------------------------------
// Group-commit writer

type Reply = oneshot::Sender<Result<Result<i64, Refusal>, ()>>;

struct Job {
    sitting: i64,
    token: String,
    answers: Vec<AnswerIn>,
    reply: Reply,
}

/// Writes answers for every candidate through a few tasks, each committing whatever arrived while it was busy as
/// one transaction: one writer on SQLite (it has one writer anyway), four on PostgreSQL.
#[derive(Default)]
pub struct Writer {
    tx: OnceLock<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

/// Most saves one transaction takes.
const BATCH: usize = 512;

impl Writer {
    fn sender(&self, pool: &AnyPool, backend: Backend) -> mpsc::Sender<Job> {
        self.tx
            .get_or_init(|| {
                let (tx, rx) = mpsc::channel::<Job>(20_000);
                let rx = Arc::new(Mutex::new(rx));
                let writers = match backend {
                    Backend::Sqlite => 1,
                    Backend::Postgres => 4,
                };
                for _ in 0..writers {
                    tokio::spawn(run(pool.clone(), rx.clone()));
                }
                tx
            })
            .clone()
    }

    /// Saves and waits for the commit. `Err(())` means nothing was saved and the client should retry.
    pub async fn save(
        &self,
        state: &AppState,
        sitting: i64,
        token: String,
        answers: Vec<AnswerIn>,
    ) -> Result<Result<i64, Refusal>, ()> {
        let (reply, done) = oneshot::channel();
        let job = Job {
            sitting,
            token,
            answers,
            reply,
        };
        if self
            .sender(&state.pool, state.backend)
            .send(job)
            .await
            .is_err()
        {
            return Err(());
        }
        done.await.unwrap_or(Err(()))
    }
}

async fn run(pool: AnyPool, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let mut batch = Vec::new();
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(job) => batch.push(job),
                None => return,
            }
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        let now = db::now();
        match write(&pool, &batch, now).await {
            Ok(results) => {
                for (job, r) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(Ok(r));
                }
            }
            Err(err) => {
                tracing::error!(error = %err, n = batch.len(), "saving a batch of answers failed; clients retry");
                for job in batch {
                    let _ = job.reply.send(Err(()));
                }
            }
        }
    }
}

async fn write(
    pool: &AnyPool,
    batch: &[Job],
    now: i64,
) -> Result<Vec<Result<i64, Refusal>>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut out = Vec::with_capacity(batch.len());
    for job in batch {
        out.push(ssr::save_answers(&mut tx, job.sitting, &job.token, &job.answers, now).await?);
    }
    tx.commit().await?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------------
// JSON routes (exam token)

#[derive(Serialize)]
struct Refused {
    error: &'static str,
}

fn refused(r: Refusal) -> Response {
    let (status, error) = match r {
        Refusal::TakenOver => (StatusCode::CONFLICT, "taken_over"),
        Refusal::Closed => (StatusCode::GONE, "closed"),
        Refusal::NotStarted => (StatusCode::TOO_EARLY, "not_started"),
        Refusal::Invalid => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
    };
    (status, Json(Refused { error })).into_response()
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(Refused { error: "retry" }),
    )
        .into_response()
}

fn token_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .filter(|t| !t.is_empty())
}

#[derive(Deserialize)]
pub struct SaveBody {
    pub answers: Vec<AnswerIn>,
}

#[derive(Serialize)]
struct Saved {
    saved: usize,
    remaining_ms: i64,
}

/// A sitting whose token matches, or the reason it does not.
async fn authorised(
    state: &AppState,
    sitting_id: i64,
    headers: &HeaderMap,
) -> Result<Sitting, Response> {
    let token = token_of(headers).ok_or_else(|| refused(Refusal::TakenOver))?;
    let mut conn = state.pool.acquire().await.map_err(|_| unavailable())?;
    let s = ssr::sitting(&mut conn, sitting_id)
        .await
        .map_err(|_| unavailable())?
        .ok_or_else(|| refused(Refusal::Invalid))?;
    if s.token.as_deref() != Some(token.as_str()) {
        return Err(refused(Refusal::TakenOver));
    }
    Ok(s)
}

/// POST /exam/api/{sitting}/answers — saves answers; 200 only after they are committed.
pub async fn save_answers(
    State(state): State<AppState>,
    Path(sitting_id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<SaveBody>,
) -> Response {
    let Some(token) = token_of(&headers) else {
        return refused(Refusal::TakenOver);
    };
    if body.answers.is_empty() || body.answers.len() > 500 {
        return refused(Refusal::Invalid);
    }
    // The paper decides which answers a position can take; it never changes, so one read serves the check.
    let paper = match paper_kinds(&state, sitting_id).await {
        Ok(Some(p)) => p,
        Ok(None) => return refused(Refusal::Invalid),
        Err(()) => return unavailable(),
    };
    let mut answers = Vec::with_capacity(body.answers.len());
    for a in body.answers {
        let Some((kind, n)) = usize::try_from(a.pos).ok().and_then(|p| paper.get(p)) else {
            return refused(Refusal::Invalid);
        };
        let Some(answer) = normalise_answer(kind, *n, &a.answer) else {
            return refused(Refusal::Invalid);
        };
        answers.push(AnswerIn {
            pos: a.pos,
            answer,
            seq: a.seq,
        });
    }
    let n = answers.len();
    match state
        .exam_writer
        .save(&state, sitting_id, token, answers)
        .await
    {
        Ok(Ok(_)) => {
            let remaining_ms = deadline_of(&state, sitting_id)
                .await
                .map(|d| rules::remaining(d, db::now()) * 1000)
                .unwrap_or(0);
            Json(Saved {
                saved: n,
                remaining_ms,
            })
            .into_response()
        }
        Ok(Err(r)) => refused(r),
        Err(()) => unavailable(),
    }
}

/// (kind, option count) per position of a sitting's paper, kept per process: a paper never changes.
/// (kind, option count) per position.
type Kinds = Arc<Vec<(String, usize)>>;

async fn paper_kinds(state: &AppState, sitting_id: i64) -> Result<Option<Kinds>, ()> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, RwLock};
    static PAPERS: LazyLock<RwLock<HashMap<i64, Kinds>>> =
        LazyLock::new(|| RwLock::new(HashMap::new()));
    if let Some(p) = PAPERS.read().ok().and_then(|m| m.get(&sitting_id).cloned()) {
        return Ok(Some(p));
    }
    let mut conn = state.pool.acquire().await.map_err(|_| ())?;
    let paper: Option<String> =
        sqlx::query_scalar("select paper from exam_sitting where sitting_id = $1")
            .bind(sitting_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|_| ())?;
    let Some(paper) = paper else { return Ok(None) };
    let items: Vec<rules::PaperItem> = serde_json::from_str(&paper).unwrap_or_default();
    let kinds = Arc::new(
        items
            .iter()
            .map(|i| (i.kind.clone(), i.order.len()))
            .collect::<Vec<_>>(),
    );
    if let Ok(mut m) = PAPERS.write() {
        if m.len() > 200_000 {
            m.clear();
        }
        m.insert(sitting_id, kinds.clone());
    }
    Ok(Some(kinds))
}

async fn deadline_of(state: &AppState, sitting_id: i64) -> Option<i64> {
    let mut conn = state.pool.acquire().await.ok()?;
    sqlx::query_scalar::<_, Option<i64>>(
        "select deadline_at from exam_sitting where sitting_id = $1",
    )
    .bind(sitting_id)
    .fetch_optional(&mut *conn)
    .await
    .ok()
    .flatten()
    .flatten()
}

#[derive(Serialize)]
pub struct PaperJson {
    pub state: &'static str,
    pub remaining_ms: i64,
    pub server_now: i64,
    pub questions: Vec<super::ShownQuestion>,
    pub answers: std::collections::BTreeMap<i64, String>,
}

/// GET /exam/api/{sitting}/paper — the candidate's questions (no keys) and saved answers, once started.
pub async fn paper(
    State(state): State<AppState>,
    Path(sitting_id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let s = match authorised(&state, sitting_id, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let now = db::now();
    let Some(deadline) = s.deadline_at else {
        return refused(Refusal::NotStarted);
    };
    if s.submitted_at.is_some() {
        return refused(Refusal::Closed);
    }
    let result = async {
        let mut conn = state.pool.acquire().await?;
        let questions = shown_questions(&mut conn, &s).await?;
        let answers = ssr::answers(&mut conn, s.id).await?;
        Ok::<_, AppError>((questions, answers))
    }
    .await;
    match result {
        Ok((questions, answers)) => Json(PaperJson {
            state: "running",
            remaining_ms: rules::remaining(deadline, now) * 1000,
            server_now: now,
            questions,
            answers,
        })
        .into_response(),
        Err(_) => unavailable(),
    }
}

async fn shown_questions(
    conn: &mut sqlx::AnyConnection,
    s: &Sitting,
) -> Result<Vec<super::ShownQuestion>, AppError> {
    let mut out = Vec::with_capacity(s.paper.len());
    for (pos, item) in s.paper.iter().enumerate() {
        let q = ssr::question(conn, item.v).await?;
        out.push(ssr::shown(pos, item, &q));
    }
    Ok(out)
}

#[derive(Serialize)]
struct StatusJson {
    state: &'static str,
    remaining_ms: Option<i64>,
    server_now: i64,
}

/// GET /exam/api/{sitting}/status — for the clock and to learn of a takeover while idle.
pub async fn status(
    State(state): State<AppState>,
    Path(sitting_id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let s = match authorised(&state, sitting_id, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let now = db::now();
    let st = match (s.submitted_at, s.deadline_at) {
        (Some(_), _) => "submitted",
        (None, None) => "waiting",
        (None, Some(d)) if d + ssr::GRACE_S < now => "closed",
        _ => "running",
    };
    Json(StatusJson {
        state: st,
        remaining_ms: s.deadline_at.map(|d| rules::remaining(d, now) * 1000),
        server_now: now,
    })
    .into_response()
}

#[derive(Serialize)]
struct StageJson {
    status: &'static str,
    starts_at: Option<i64>,
    server_now: i64,
}

/// GET /exam/api/stage/{stage} — what the waiting room polls: whether the stage has started. Cached for a second
/// per process, so a full waiting room polling costs almost nothing.
pub async fn stage_state(State(state): State<AppState>, Path(stage_id): Path<i64>) -> Response {
    use std::collections::HashMap;
    use std::sync::{LazyLock, RwLock};
    /// (second it was read, status, planned start)
    type Seen = (i64, &'static str, Option<i64>);
    static CACHE: LazyLock<RwLock<HashMap<i64, Seen>>> =
        LazyLock::new(|| RwLock::new(HashMap::new()));
    let now = db::now();
    let cached = CACHE
        .read()
        .ok()
        .and_then(|m| m.get(&stage_id).copied())
        .filter(|(at, ..)| *at == now);
    let (status, starts_at) = match cached {
        Some((_, status, starts_at)) => (status, starts_at),
        None => {
            let Ok(mut conn) = state.pool.acquire().await else {
                return unavailable();
            };
            let Ok(Some(s)) = ssr::stage(&mut conn, stage_id).await else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let status = s.status.code();
            if let Ok(mut m) = CACHE.write() {
                m.insert(stage_id, (now, status, s.starts_at));
            }
            (status, s.starts_at)
        }
    };
    Json(StageJson {
        status,
        starts_at,
        server_now: now,
    })
    .into_response()
}

/// POST /exam/api/{sitting}/submit — hands the paper in; the answers saved so far are graded.
pub async fn submit(
    State(state): State<AppState>,
    Path(sitting_id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let s = match authorised(&state, sitting_id, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if s.deadline_at.is_none() {
        return refused(Refusal::NotStarted);
    }
    if s.submitted_at.is_some() {
        return refused(Refusal::Closed);
    }
    match submit_now(&state, s.id).await {
        Ok(_) => Json(serde_json::json!({ "submitted": true })).into_response(),
        Err(_) => unavailable(),
    }
}

async fn submit_now(state: &AppState, sitting_id: i64) -> Result<bool, AppError> {
    let mut tx = state.pool.begin().await?;
    let done = ssr::submit(&mut tx, sitting_id, "candidate", db::now()).await?;
    if done {
        ssr::log_event(&mut tx, sitting_id, "submit", "").await?;
    }
    tx.commit().await?;
    Ok(done)
}

// ---------------------------------------------------------------------------------------------------------------
// Session routes: claim, the page and its no-JavaScript form

async fn session_user(
    state: &AppState,
    session: &tower_sessions::Session,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(uid) = session.get::<i64>(SESSION_USER).await? else {
        return Ok(None);
    };
    let auth_at = session.get::<i64>(SESSION_AUTH_AT).await?.unwrap_or(0);
    if db::now() - auth_at > state.auth.absolute_timeout.as_secs() as i64 {
        return Ok(None);
    }
    let mut conn = state.pool.acquire().await?;
    Ok(crate::server::users::load_current(&mut conn, uid)
        .await?
        .filter(|u| !u.must_change_password))
}

/// The candidate's sitting of a theory stage, drawn now if the roster grew after the waiting room opened.
async fn own_sitting(
    state: &AppState,
    user: &CurrentUser,
    stage_id: i64,
) -> Result<(StageRow, String, Sitting), AppError> {
    let mut conn = state.pool.acquire().await?;
    let stage = ssr::stage(&mut conn, stage_id)
        .await?
        .filter(|s| s.kind == StageKind::Theory && s.status != StageStatus::Draft)
        .ok_or(AppError::NotFound)?;
    let competition = ssr::competition(&mut conn, stage.competition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    ssr::entrant_of(&mut conn, stage.competition_id, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(s) = ssr::sitting_of(&mut conn, stage_id, user.id).await? {
        return Ok((stage, competition.name, s));
    }
    drop(conn);
    let mut tx = state.pool.begin().await?;
    let bank = ssr::bank(&mut tx).await?;
    ssr::draw_papers(&mut tx, &stage, &bank).await?;
    tx.commit().await?;
    let mut conn = state.pool.acquire().await?;
    let s = ssr::sitting_of(&mut conn, stage_id, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((stage, competition.name, s))
}

async fn claim_for(
    state: &AppState,
    sitting: &Sitting,
    headers: &HeaderMap,
    ip: &str,
) -> Result<(String, i64), AppError> {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut conn = state.pool.acquire().await?;
    Ok(ssr::claim(&mut conn, sitting, ip, agent).await?)
}

#[derive(Serialize)]
struct ClaimJson {
    sitting: i64,
    token: String,
    state: &'static str,
    starts_at: Option<i64>,
    remaining_ms: Option<i64>,
    server_now: i64,
}

/// POST /exam/api/claim/{stage} — makes this client the candidate's active exam session and returns its token.
pub async fn claim(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    Path(stage_id): Path<i64>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
) -> Response {
    let ip = ip_of(&extensions);
    let result = async {
        let user = session_user(&state, &session)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let (stage, _, sitting) = own_sitting(&state, &user, stage_id).await?;
        if sitting.submitted_at.is_some() {
            return Ok(refused(Refusal::Closed));
        }
        let (token, _) = claim_for(&state, &sitting, &headers, &ip).await?;
        let now = db::now();
        Ok::<_, AppError>(
            Json(ClaimJson {
                sitting: sitting.id,
                token,
                state: if sitting.deadline_at.is_some() {
                    "running"
                } else {
                    "waiting"
                },
                starts_at: stage.starts_at,
                remaining_ms: sitting.deadline_at.map(|d| rules::remaining(d, now) * 1000),
                server_now: now,
            })
            .into_response(),
        )
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// The client's address, when the server recorded it (not in tests that call the router directly).
fn ip_of(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn locale_of(headers: &HeaderMap) -> Locale {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == LOCALE_COOKIE)
        .map(|(_, v)| Locale::parse(v))
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    m: Option<String>,
}

/// GET /exam/{stage} — the exam room: waiting room, paper, or the receipt after submission.
pub async fn page(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    Path(stage_id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
) -> Response {
    let ip = ip_of(&extensions);
    let locale = locale_of(&headers);
    let user = match session_user(&state, &session).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(_) => return message_page(locale, StatusCode::SERVICE_UNAVAILABLE, "err.internal"),
    };
    let (stage, competition, sitting) = match own_sitting(&state, &user, stage_id).await {
        Ok(x) => x,
        Err(AppError::NotFound) => {
            return message_page(locale, StatusCode::NOT_FOUND, "exam.not_yours");
        }
        Err(AppError::Invalid { key, .. }) => {
            return message_page(locale, StatusCode::CONFLICT, &key);
        }
        Err(_) => return message_page(locale, StatusCode::SERVICE_UNAVAILABLE, "err.internal"),
    };
    let now = db::now();
    let open = sitting.submitted_at.is_none()
        && sitting.deadline_at.is_none_or(|d| d + ssr::GRACE_S >= now);
    // The same browser reloading (or the waiting room turning into the paper) keeps its token: only another
    // browser takes the exam over.
    let key = format!("exam_token:{}", sitting.id);
    let held = session.get::<String>(&key).await.ok().flatten();
    let claimed = if !open {
        None
    } else if let Some(token) = held.filter(|t| sitting.token.as_deref() == Some(t.as_str())) {
        Some((token, sitting.generation))
    } else {
        match claim_for(&state, &sitting, &headers, &ip).await {
            Ok(c) => {
                let _ = session.insert(&key, &c.0).await;
                Some(c)
            }
            Err(_) => return message_page(locale, StatusCode::SERVICE_UNAVAILABLE, "err.internal"),
        }
    };
    let mut conn = match state.pool.acquire().await {
        Ok(c) => c,
        Err(_) => return message_page(locale, StatusCode::SERVICE_UNAVAILABLE, "err.internal"),
    };
    let body = match (&claimed, sitting.deadline_at) {
        (Some((token, _)), None) => waiting_view(locale, &stage, &sitting, token),
        (Some((token, _)), Some(deadline)) => {
            let questions = match shown_questions(&mut conn, &sitting).await {
                Ok(q) => q,
                Err(_) => {
                    return message_page(locale, StatusCode::SERVICE_UNAVAILABLE, "err.internal");
                }
            };
            let answers = ssr::answers(&mut conn, sitting.id)
                .await
                .unwrap_or_default();
            paper_view(
                locale,
                stage.id,
                &sitting,
                token,
                rules::remaining(deadline, now),
                questions,
                answers,
                q.m.as_deref(),
            )
        }
        (None, _) => {
            // The sweeper submits expired sittings within seconds; a page opened in between does it here.
            if sitting.submitted_at.is_none() {
                let _ = submit_now(&state, sitting.id).await;
            }
            let fresh = ssr::sitting(&mut conn, sitting.id).await.ok().flatten();
            let s = fresh.as_ref().unwrap_or(&sitting);
            done_view(locale, &stage, s)
        }
    };
    let title = format!("{} · {}", stage.title, competition);
    let header_view = bar_view(locale, &competition, &stage.title, &sitting.candidate_no);
    let waiting = claimed.is_some() && sitting.deadline_at.is_none();
    document(locale, &title, waiting, header_view, body)
}

/// POST /exam/{stage} — the paper's form without JavaScript: saves every answer on it, and submits if asked.
pub async fn form(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    Path(stage_id): Path<i64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let locale = locale_of(&headers);
    let Ok(Some(user)) = session_user(&state, &session).await else {
        return Redirect::to("/login").into_response();
    };
    let Ok((_, _, sitting)) = own_sitting(&state, &user, stage_id).await else {
        return message_page(locale, StatusCode::NOT_FOUND, "exam.not_yours");
    };
    let fields: Vec<(String, String)> = form_urlencoded_pairs(&body);
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let token = get("token").unwrap_or_default();
    let seq: i64 = get("seq").and_then(|s| s.parse().ok()).unwrap_or(0);
    // Unanswered questions are left alone, except one whose boxes were all unticked: that clears it.
    let stored = match state.pool.acquire().await {
        Ok(mut conn) => ssr::answers(&mut conn, sitting.id)
            .await
            .unwrap_or_default(),
        Err(_) => return message_page(locale, StatusCode::SERVICE_UNAVAILABLE, "exam.retry"),
    };
    let mut answers = Vec::new();
    for (pos, item) in sitting.paper.iter().enumerate() {
        let name = format!("a{pos}");
        let raw: String = fields
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        if let Some(answer) = normalise_answer(&item.kind, item.order.len(), &raw) {
            if answer.is_empty() && stored.get(&(pos as i64)).is_none_or(|a| a.is_empty()) {
                continue;
            }
            answers.push(AnswerIn {
                pos: pos as i64,
                answer,
                seq,
            });
        }
    }
    let to = |m: &str| Redirect::to(&format!("/exam/{stage_id}?m={m}")).into_response();
    if !answers.is_empty() {
        match state
            .exam_writer
            .save(&state, sitting.id, token.clone(), answers)
            .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(Refusal::TakenOver)) => {
                return message_page(locale, StatusCode::CONFLICT, "exam.taken_over");
            }
            Ok(Err(Refusal::Closed)) => return to("closed"),
            Ok(Err(_)) => return to("invalid"),
            Err(()) => return message_page(locale, StatusCode::SERVICE_UNAVAILABLE, "exam.retry"),
        }
    }
    if get("action").as_deref() == Some("submit") {
        if sitting.token.as_deref() != Some(token.as_str()) {
            return message_page(locale, StatusCode::CONFLICT, "exam.taken_over");
        }
        if submit_now(&state, sitting.id).await.is_err() {
            return message_page(locale, StatusCode::SERVICE_UNAVAILABLE, "exam.retry");
        }
        return to("submitted");
    }
    to("saved")
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------------------------
// HTML

fn document(locale: Locale, title: &str, waiting: bool, bar: AnyView, body: AnyView) -> Response {
    let lang = locale.code();
    let title = crate::ui::rcdata_text(title);
    let html = view! {
        <header class="exam-bar">{bar}</header>
        <main class="exam-main">{body}</main>
    }
    .to_html();
    let refresh = if waiting {
        "<noscript><meta http-equiv=\"refresh\" content=\"15\"></noscript>"
    } else {
        ""
    };
    let page = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{title}</title><link rel=\"icon\" href=\"/favicon.svg\"/><link rel=\"stylesheet\" href=\"/style.css\"/>{refresh}\
         <script type=\"module\" src=\"/exam.js\"></script></head><body class=\"exam-body\">{html}</body></html>"
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}

fn message_page(locale: Locale, status: StatusCode, key: &str) -> Response {
    let text = tr(locale, key);
    let back = tr(locale, "exam.back");
    let body = view! {
        <section class="card exam-card">
            <p class="alert alert-error" role="alert">{text}</p>
            <p><a class="btn" href="/competitions">{back}</a></p>
        </section>
    }
    .into_any();
    let bar = view! { <span class="exam-brand">{tr(locale, "exam.brand")}</span> }.into_any();
    let mut res = document(locale, &tr(locale, "exam.title"), false, bar, body);
    *res.status_mut() = status;
    res
}

fn bar_view(locale: Locale, competition: &str, stage: &str, candidate_no: &str) -> AnyView {
    view! {
        <span class="exam-brand">{tr(locale, "exam.brand")}</span>
        <span class="exam-title">{competition.to_owned()}{" · "}{stage.to_owned()}</span>
        <span class="exam-candidate">{tr(locale, "exam.candidate_no")}{" "}<strong class="mono">{candidate_no.to_owned()}</strong></span>
    }
    .into_any()
}

/// The waiting room. It carries the paper's empty shell (clock, status, form, buttons) in a template: at the start
/// the script fetches the questions as JSON with the exam token and fills it in, so a full hall starting at once
/// costs one token-checked read each, no page render and no session write.
fn waiting_view(locale: Locale, stage: &StageRow, sitting: &Sitting, token: &str) -> AnyView {
    let when = stage
        .starts_at
        .map(crate::ui::format_time)
        .unwrap_or_else(|| tr(locale, "exam.start_when_called"));
    let shell = paper_view(
        locale,
        stage.id,
        sitting,
        token,
        0,
        Vec::new(),
        Default::default(),
        None,
    );
    view! {
        <template id="paper-shell"
            data-single=tr(locale, "competition.qkind_single") data-multiple=tr(locale, "competition.qkind_multiple")
            data-judge=tr(locale, "competition.qkind_judge") data-true=tr(locale, "study.judge_true")
            data-false=tr(locale, "study.judge_false") data-points=tr(locale, "exam.points")>{shell}</template>
        <section class="card exam-card" id="waiting-room" data-stage=stage.id.to_string() data-starts=stage.starts_at.unwrap_or(0).to_string()
            data-sitting=sitting.id.to_string() data-token=token.to_owned()>
            <h1>{tr(locale, "exam.waiting_title")}</h1>
            <p class="exam-start">{tr(locale, "exam.starts")}{" "}<strong>{when}</strong></p>
            <p class="exam-countdown" id="countdown" aria-live="polite"></p>
            <ul class="plain small">
                <li>{tr(locale, "exam.rule_clock")}</li>
                <li>{tr(locale, "exam.rule_autosave")}</li>
                <li>{tr(locale, "exam.rule_one_device")}</li>
            </ul>
            <p class="small muted">{tr(locale, "exam.waiting_nojs")}{" "}<a href=format!("/exam/{}", stage.id)>{tr(locale, "exam.refresh")}</a></p>
        </section>
    }
    .into_any()
}

#[allow(clippy::too_many_arguments)]
fn paper_view(
    locale: Locale,
    stage_id: i64,
    sitting: &Sitting,
    token: &str,
    remaining_s: i64,
    questions: Vec<super::ShownQuestion>,
    answers: std::collections::BTreeMap<i64, String>,
    message: Option<&str>,
) -> AnyView {
    let notice = match message {
        Some("saved") => Some(("alert-ok", tr(locale, "exam.saved_all"))),
        Some("closed") => Some(("alert-error", tr(locale, "exam.closed"))),
        Some("invalid") => Some(("alert-error", tr(locale, "exam.invalid"))),
        _ => None,
    };
    let msgs = [
        ("saved", "exam.status_saved"),
        ("saving", "exam.status_saving"),
        ("offline", "exam.status_offline"),
        ("taken", "exam.taken_over"),
        ("closed", "exam.closed"),
        ("timeup", "exam.time_up"),
        ("confirm", "exam.confirm_submit"),
        ("unanswered", "exam.unanswered"),
    ];
    let nav: Vec<(i64, bool)> = questions
        .iter()
        .map(|q| (q.pos, answers.get(&q.pos).is_some_and(|a| !a.is_empty())))
        .collect();
    let form = view! {
        <form id="exam-form" class="exam-paper" method="post" action=format!("/exam/{stage_id}")
            data-sitting=sitting.id.to_string() data-token=token.to_owned() data-remaining=remaining_s.to_string()
            data-stage=stage_id.to_string()>
            <input type="hidden" name="token" value=token.to_owned()/>
            <input type="hidden" name="seq" value=(db::now() * 1000).to_string()/>
            {questions.into_iter().map(|q| {
                let given = answers.get(&q.pos).cloned().unwrap_or_default();
                let name = format!("a{}", q.pos);
                let input_type = if q.kind == "multiple" { "checkbox" } else { "radio" };
                let judge = q.kind == "judge";
                view! {
                    <fieldset class="exam-q" id=format!("q{}", q.pos) data-pos=q.pos.to_string() data-kind=q.kind.clone()>
                        <legend>
                            <span class="exam-qno">{(q.pos + 1).to_string()}{"."}</span>
                            <span class="tag">{tr(locale, &format!("competition.qkind_{}", q.kind))}</span>
                            <span class="small muted">{format!(" ({})", tr(locale, "exam.points").replace("%{n}", &super::points(q.points)))}</span>
                        </legend>
                        <p class="exam-stem">{q.stem.clone()}</p>
                        {q.options.into_iter().enumerate().map(|(i, (letter, text))| {
                            let shown_letter = ((b'A' + i as u8) as char).to_string();
                            let checked = given.contains(letter.as_str());
                            let label = if judge {
                                tr(locale, if letter == "T" { "study.judge_true" } else { "study.judge_false" })
                            } else {
                                text
                            };
                            view! {
                                <label class="exam-opt">
                                    <input type=input_type name=name.clone() value=letter checked=checked/>
                                    {(!judge).then(|| view! { <span class="exam-letter">{shown_letter}</span> })}
                                    <span>{label}</span>
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                }
            }).collect_view()}
            <div class="exam-actions">
                <button type="submit" name="action" value="save" class="btn" id="save-all">{tr(locale, "exam.save_all")}</button>
                <button type="submit" name="action" value="submit" class="btn btn-primary" id="submit-exam">{tr(locale, "exam.submit")}</button>
            </div>
        </form>
    };
    view! {
        <div class="exam-clock" id="exam-clock">
            <span class="exam-timer" id="exam-timer" role="timer">{format_clock(remaining_s)}</span>
            <span class="exam-status" id="exam-status" role="status" aria-live="polite"
                data-msgs=serde_json::to_string(&msgs.iter().map(|(k, key)| (*k, tr(locale, key))).collect::<std::collections::BTreeMap<_, _>>()).unwrap_or_default()>
                {tr(locale, "exam.status_ready")}
            </span>
        </div>
        {notice.map(|(class, text)| view! { <p class=format!("alert {class}") role="status">{text}</p> })}
        <nav class="exam-nav" aria-label=tr(locale, "exam.nav")>
            {nav.into_iter().map(|(pos, done)| view! {
                <a href=format!("#q{pos}") class="exam-nav-item" class:answered=done id=format!("nav{pos}")>{(pos + 1).to_string()}</a>
            }).collect_view()}
        </nav>
        {form}
    }
    .into_any()
}

fn format_clock(s: i64) -> String {
    let s = s.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

fn done_view(locale: Locale, stage: &StageRow, s: &Sitting) -> AnyView {
    let when = s
        .submitted_at
        .map(crate::ui::format_time)
        .unwrap_or_default();
    let how = if s.submit_kind.as_deref() == Some("auto") {
        tr(locale, "exam.auto_submitted")
    } else {
        tr(locale, "exam.you_submitted")
    };
    let score = (stage.released)
        .then(|| {
            s.score
                .map(|sc| format!("{} / {}", super::points(sc), super::points(s.max_score)))
        })
        .flatten();
    view! {
        <section class="card exam-card" id="exam-done">
            <h1>{tr(locale, "exam.done_title")}</h1>
            <p>{how}{" "}{when}</p>
            {match score {
                Some(sc) => view! { <p class="exam-score">{tr(locale, "exam.score")}{" "}<strong>{sc}</strong></p> }.into_any(),
                None => view! { <p class="muted">{tr(locale, "exam.results_later")}</p> }.into_any(),
            }}
            <p><a class="btn" href="/competitions">{tr(locale, "exam.back")}</a></p>
        </section>
    }
    .into_any()
}
