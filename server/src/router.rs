//! The HTTP surface: Leptos pages and server functions, static files, health check, and the layers every
//! request passes (sessions, cross-site refusal, compression, security headers, tracing).

use crate::Config;
use app::competition::exam;
use app::server::AppState;
use app::server::session_store::DbSessionStore;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("lianbing")
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .build()
}

pub fn router(state: AppState, config: &Config) -> Router {
    let options = leptos_options(config);
    // Generating the route list runs the app once with resource loading suppressed process-wide; a page being
    // rendered meanwhile would wait forever (leptos issue 4773). So it runs once per process, before any router
    // exists to render with.
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(app::App)).clone();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let idle = time::Duration::seconds(state.auth.idle_timeout.as_secs() as i64);
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.pool.clone()))
        .with_name("lb_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.auth.secure_cookies)
        .with_expiry(Expiry::OnInactivity(idle));

    let pages = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context,
            app::shell,
        ))
        .with_state(options);

    Router::new()
        .route("/healthz", get(healthz))
        .route("/admin/import/template.csv", get(roster_template))
        .route("/media/{id}", get(media))
        .route("/admin/study/hours.xlsx", get(hours_xlsx))
        .route("/video/{lesson}", get(video))
        .route("/exam/{stage}", get(exam::page).post(exam::form))
        .route("/admin/competitions/{id}/results.xlsx", get(results_export))
        .route(
            "/admin/competitions/{id}/results.csv",
            get(results_export_csv),
        )
        .route("/admin/competitions/{id}/marks.csv", get(marks_export))
        .route("/exam/api/claim/{stage}", post(exam::claim))
        .with_state(state.clone())
        .merge(pages)
        .layer(sessions)
        // The exam's answer routes authenticate by the sitting's token and skip the session layer: a save costs no
        // session read or write, which is what lets one machine hold 10,000 candidates.
        .merge(
            Router::new()
                .route("/exam/api/{sitting}/answers", post(exam::save_answers))
                .route("/exam/api/{sitting}/paper", get(exam::paper))
                .route("/exam/api/{sitting}/status", get(exam::status))
                .route("/exam/api/{sitting}/submit", post(exam::submit))
                .route("/exam/api/stage/{stage}", get(exam::stage_state))
                .with_state(state),
        )
        .layer(middleware::from_fn(refuse_cross_site))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

/// 200 only when the database answers.
async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar::<_, i64>("select 1")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// An uploaded image, to logged-in readers only (content may be published to one unit). Served with its
/// checked type, never sniffed, and a policy that lets nothing in it run.
async fn media(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    let user = match session.get::<i64>(app::server::auth::SESSION_USER).await {
        Ok(Some(uid)) => match state.pool.acquire().await {
            Ok(mut conn) => app::server::users::load_current(&mut conn, uid)
                .await
                .ok()
                .flatten(),
            Err(_) => None,
        },
        _ => None,
    };
    if user.is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let row: Result<Option<(String, Vec<u8>)>, _> =
        sqlx::query_as("select content_type, bytes from media where media_id = $1")
            .bind(id)
            .fetch_optional(&state.pool)
            .await;
    match row {
        Ok(Some((content_type, bytes))) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox".to_owned(),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "loading media");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A lesson's video, to logged-in users, with HTTP range requests (seeking, resuming) served by tower-http.
async fn video(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Path(lesson): axum::extract::Path<String>,
    req: axum::extract::Request,
) -> Response {
    use tower::ServiceExt;
    let Ok(Some(_)) = session.get::<i64>(app::server::auth::SESSION_USER).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let file: Result<Option<String>, _> =
        sqlx::query_scalar("select file_name from lesson_video where lesson_key = $1")
            .bind(&lesson)
            .fetch_optional(&state.pool)
            .await;
    match file {
        Ok(Some(name)) => {
            let path = state.media_dir.join(name);
            // The stored name ends in .mp4, which ServeFile serves as video/mp4.
            match tower_http::services::ServeFile::new(path)
                .oneshot(req)
                .await
            {
                Ok(res) => {
                    let mut res = res.into_response();
                    res.headers_mut().insert(
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("private, max-age=3600"),
                    );
                    res
                }
                Err(err) => {
                    tracing::error!(error = %err, "serving video");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            }
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "loading video");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct HoursQuery {
    year: Option<i64>,
    unit: Option<String>,
}

/// The 学时 report of the admin's scope (or a unit inside it) as an XLSX download.
async fn hours_xlsx(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Query(q): axum::extract::Query<HoursQuery>,
) -> Response {
    use app::study::admin::ssr as study_admin;
    let Ok(Some(uid)) = session.get::<i64>(app::server::auth::SESSION_USER).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let result = async {
        let mut conn = state.pool.acquire().await?;
        let Some(admin) = app::server::users::load_current(&mut conn, uid).await? else {
            return Ok(StatusCode::UNAUTHORIZED.into_response());
        };
        if !admin.has(app::domain::Role::Admin) || admin.must_change_password {
            return Ok(StatusCode::FORBIDDEN.into_response());
        }
        let year = q
            .year
            .unwrap_or_else(|| app::study::ssr::year_of(app::server::db::now()));
        let Ok((path, _)) =
            study_admin::report_scope(&mut conn, &admin, q.unit.as_deref().unwrap_or("")).await
        else {
            return Ok(StatusCode::NOT_FOUND.into_response());
        };
        let rules = app::study::ssr::hour_rules(&mut conn).await?;
        let people = study_admin::hours(&mut conn, &path, year).await?;
        let bytes = study_admin::hours_xlsx(&people, rules.yearly_target, year)
            .map_err(|e| anyhow::anyhow!("xlsx: {e}"))?;
        Ok::<_, anyhow::Error>(
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_owned(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"lianbing-hours-{year}.xlsx\""),
                    ),
                ],
                bytes,
            )
                .into_response(),
        )
    }
    .await;
    result.unwrap_or_else(|err| {
        tracing::error!(error = %err, "hours export");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

/// The competition an admin may see, for the exports.
async fn export_scope(
    state: &AppState,
    session: &tower_sessions::Session,
    id: i64,
) -> Result<app::competition::ssr::CompetitionRow, StatusCode> {
    let Ok(Some(uid)) = session.get::<i64>(app::server::auth::SESSION_USER).await else {
        return Err(StatusCode::UNAUTHORIZED);
    };
    let mut conn = state
        .pool
        .acquire()
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let admin = app::server::users::load_current(&mut conn, uid)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?
        .filter(|u| u.has(app::domain::Role::Admin) && !u.must_change_password)
        .ok_or(StatusCode::FORBIDDEN)?;
    app::competition::ssr::competition(&mut conn, id)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?
        .filter(|c| admin.scopes(&c.unit_path))
        .ok_or(StatusCode::NOT_FOUND)
}

fn download(content_type: &'static str, name: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn computed(
    state: &AppState,
    c: &app::competition::ssr::CompetitionRow,
) -> Result<app::competition::results::Results, StatusCode> {
    let mut conn = state
        .pool
        .acquire()
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    app::competition::results::ssr::compute(&mut conn, c)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

/// Results as XLSX: a sheet of candidates, one of teams, one of units.
async fn results_export(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    let c = match export_scope(&state, &session, id).await {
        Ok(c) => c,
        Err(s) => return s.into_response(),
    };
    match computed(&state, &c).await {
        Ok(r) => match app::competition::standings::ssr::results_xlsx(&r) {
            Ok(bytes) => download(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                format!("lianbing-results-{id}.xlsx"),
                bytes,
            ),
            Err(err) => {
                tracing::error!(error = %err, "results xlsx");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
        Err(s) => s.into_response(),
    }
}

async fn results_export_csv(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    let c = match export_scope(&state, &session, id).await {
        Ok(c) => c,
        Err(s) => return s.into_response(),
    };
    match computed(&state, &c).await {
        Ok(r) => download(
            "text/csv; charset=utf-8",
            format!("lianbing-results-{id}.csv"),
            app::competition::standings::ssr::results_csv(&r).into_bytes(),
        ),
        Err(s) => s.into_response(),
    }
}

/// Every examiner's mark on every criterion.
async fn marks_export(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    let c = match export_scope(&state, &session, id).await {
        Ok(c) => c,
        Err(s) => return s.into_response(),
    };
    let Ok(mut conn) = state.pool.acquire().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    match app::competition::standings::ssr::marks_csv(&mut conn, &c).await {
        Ok(text) => download(
            "text/csv; charset=utf-8",
            format!("lianbing-marks-{id}.csv"),
            text.into_bytes(),
        ),
        Err(err) => {
            tracing::error!(error = %err, "marks csv");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn roster_template() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"roster-template.csv\"",
            ),
        ],
        app::admin::roster::template_csv(),
    )
        .into_response()
}

/// Refuses state-changing requests sent by another site: the browser names the page's origin, and it must be
/// ours. Requests without those headers come from non-browser clients, which cannot ride a user's cookie.
async fn refuse_cross_site(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let cross_site =
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site");
    let origin_mismatch = match (origin, host) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if cross_site || origin_mismatch {
        tracing::warn!(?origin, ?host, "refused cross-site request");
        return (
            StatusCode::FORBIDDEN,
            "跨站请求已拒绝 / cross-site request refused",
        )
            .into_response();
    }
    next.run(req).await
}
