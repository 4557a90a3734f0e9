//! Test support: a fresh database per test (a temporary SQLite file or a new PostgreSQL database), the real
//! router driven through `oneshot`, a cookie jar, and helpers to call server functions as the browser does.
//! `on_both!` turns one async test into a SQLite test and a PostgreSQL test.

use app::error::AppError;
use app::server::{AppState, AuthConfig};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use server::Config;
use std::path::PathBuf;
use tower::ServiceExt;

pub use app;
pub use server;

/// Where the test databases live; `LIANBING_TEST_PG` overrides the PostgreSQL server.
pub fn pg_admin_url() -> String {
    std::env::var("LIANBING_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A database made for one test and removed after it.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Database(String),
}

fn unique(prefix: &str) -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().r#gen();
    format!("{prefix}_{}_{n:016x}", std::process::id())
}

impl TestDb {
    pub async fn new(db: Db) -> TestDb {
        match db {
            Db::Sqlite => {
                let path = std::env::temp_dir().join(format!("{}.db", unique("lianbing_test")));
                TestDb {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::File(path),
                }
            }
            Db::Postgres => {
                use sqlx::Connection;
                let name = unique("lianbing_test");
                let mut conn = sqlx::PgConnection::connect(&pg_admin_url())
                    .await
                    .expect("PostgreSQL must run at 127.0.0.1:5432 (see README: tests)");
                sqlx::query(&format!("create database {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = pg_admin_url();
                let server = base
                    .rsplit_once('/')
                    .map(|(s, _)| s.to_owned())
                    .unwrap_or(base);
                TestDb {
                    url: format!("{server}/{name}"),
                    cleanup: Cleanup::Database(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database(name) => {
                let name = name.clone();
                // Drop runs inside the test's runtime; a thread with its own runtime may block on the cleanup.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        use sqlx::Connection;
                        if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
                            let _ = sqlx::query(&format!(
                                "drop database if exists {name} with (force)"
                            ))
                            .execute(&mut conn)
                            .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// The app on a fresh database with the demo organisation and accounts, and a browser-like cookie jar.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db: TestDb,
    cookie: Option<String>,
    locale_cookie: Option<String>,
}

pub const DEMO_PASSWORD: &str = "lianbing2026";

impl TestApp {
    pub async fn new(db: Db) -> TestApp {
        TestApp::with_auth(db, AuthConfig::default()).await
    }

    pub async fn with_auth(db: Db, auth: AuthConfig) -> TestApp {
        let db = TestDb::new(db).await;
        let mut config = Config::new("127.0.0.1:0".into(), db.url.clone());
        config.auth = auth;
        config.site_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site");
        config.media_dir = std::env::temp_dir().join(unique("lianbing_media"));
        let state = server::db::open(&config).await.expect("open test database");
        let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content/demo/org.toml");
        server::seed::demo(&state, &demo)
            .await
            .expect("seed demo data");
        let router = server::router(state.clone(), &config);
        TestApp {
            router,
            state,
            db,
            cookie: None,
            locale_cookie: None,
        }
    }

    /// Imports the minimal content fixture (with the shipped laws and industries): what content-dependent tests
    /// need, in a fraction of the time of the whole tree.
    pub async fn import_fixture_content(&self) {
        self.import_fixture_content_with(&[]).await
    }

    /// The fixture plus some shipped scenarios (their lesson links pointed at the fixture's lesson), for tests
    /// that play a real exercise.
    pub async fn import_fixture_content_with(&self, scenarios: &[&str]) {
        self.import_fixture_content_and(scenarios, &[]).await
    }

    /// The fixture, some shipped scenarios and some shipped question files (`content/questions/NAME.toml`), for
    /// tests that need a bank to draw papers from.
    pub async fn import_fixture_content_and(&self, scenarios: &[&str], question_files: &[&str]) {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = std::env::temp_dir().join(format!("{}-content", unique("lianbing_fixture")));
        copy_tree(&root.join("tests/fixtures/content"), &dir);
        for f in ["laws.toml", "industries.toml"] {
            std::fs::copy(root.join("content").join(f), dir.join(f)).unwrap();
        }
        for id in scenarios {
            let file = format!("scenarios/{id}.toml");
            let text = std::fs::read_to_string(root.join("content").join(&file)).unwrap();
            let text: String = text
                .lines()
                .map(|l| {
                    if l.starts_with("lessons = ") {
                        "lessons = [\"mini-lesson\"]"
                    } else {
                        l
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            std::fs::write(dir.join(&file), text).unwrap();
        }
        for name in question_files {
            let file = format!("questions/{name}.toml");
            std::fs::copy(root.join("content").join(&file), dir.join(&file)).unwrap();
        }
        let (set, diags) = app::content::check::check_dir(&dir);
        assert!(diags.is_empty(), "{diags:?}");
        server::content::import(&self.state.pool, &set, false)
            .await
            .expect("import fixture content");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Another browser on the same server: same database, empty cookie jar.
    pub fn new_browser(&self) -> TestApp {
        TestApp {
            router: self.router.clone(),
            state: self.state.clone(),
            db: TestDb {
                url: self.db.url.clone(),
                cleanup: Cleanup::File(PathBuf::new()),
            },
            cookie: None,
            locale_cookie: None,
        }
    }

    pub fn set_locale_cookie(&mut self, code: &str) {
        self.locale_cookie = Some(format!("{}={code}", app::i18n::LOCALE_COOKIE));
    }

    pub fn forget_session(&mut self) {
        self.cookie = None;
    }

    fn cookie_header(&self) -> Option<String> {
        let parts: Vec<&str> = [self.cookie.as_deref(), self.locale_cookie.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> Response {
        if let Some(c) = self.cookie_header() {
            req.headers_mut().insert(header::COOKIE, c.parse().unwrap());
        }
        req.headers_mut()
            .entry(header::HOST)
            .or_insert("lianbing.test".parse().unwrap());
        let what = format!("{} {}", req.method(), req.uri());
        let limit = std::time::Duration::from_secs(60);
        let res = tokio::time::timeout(limit, self.router.clone().oneshot(req))
            .await
            .unwrap_or_else(|_| panic!("{what}: no response within 60 s"))
            .expect("router never fails");
        for value in res.headers().get_all(header::SET_COOKIE) {
            let value = value.to_str().unwrap_or_default();
            if let Some(pair) = value.split(';').next()
                && pair.starts_with("lb_session=")
            {
                self.cookie = if value.contains("Max-Age=0") {
                    None
                } else {
                    Some(pair.to_owned())
                };
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        // Read the body frame by frame, so a body that never ends says how far it got.
        let mut stream = res.into_body();
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout(limit, stream.frame()).await {
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        body.extend_from_slice(&data);
                    }
                }
                Ok(_) => break,
                Err(_) => panic!(
                    "{what}: body never ended; got {status} and {}",
                    String::from_utf8_lossy(&body)
                ),
            }
        }
        Response {
            status,
            headers,
            body,
        }
    }

    /// GET a page as a browser does (accepting HTML).
    pub async fn get(&mut self, path: &str) -> Response {
        let req = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    /// Calls a server function the way the hydrated page does (fetch, JSON answer).
    pub async fn call<T: DeserializeOwned>(
        &mut self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Result<T, AppError> {
        let res = self.post(endpoint, form, "application/json").await;
        res.server_result()
    }

    /// Posts a form to a server function as a browser without JavaScript does (redirect answer).
    pub async fn post_form(
        &mut self,
        endpoint: &str,
        form: &[(&str, &str)],
        referer: &str,
    ) -> Response {
        let body = serde_urlencoded(form);
        let req = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::ORIGIN, "http://lianbing.test")
            .header(header::REFERER, format!("http://lianbing.test{referer}"))
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn post(&mut self, endpoint: &str, form: &[(&str, &str)], accept: &str) -> Response {
        let req = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, accept)
            .header(header::ORIGIN, "http://lianbing.test")
            .body(Body::from(serde_urlencoded(form)))
            .unwrap();
        self.send(req).await
    }

    /// Uploads a roster file to a multipart server function as the import page's plain form does.
    pub async fn upload(
        &mut self,
        endpoint: &str,
        field: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Response {
        self.upload_fields(endpoint, &[], field, file_name, bytes, "/admin/import")
            .await
    }

    /// Uploads a file with extra text fields to a multipart server function, from the page `referer`.
    pub async fn upload_fields(
        &mut self,
        endpoint: &str,
        fields: &[(&str, &str)],
        file_field: &str,
        file_name: &str,
        bytes: &[u8],
        referer: &str,
    ) -> Response {
        let boundary = "----lianbingtestboundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post(format!("/api/{endpoint}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::ACCEPT, "text/html")
            .header(header::ORIGIN, "http://lianbing.test")
            .header(header::REFERER, format!("http://lianbing.test{referer}"))
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Result<(), AppError> {
        self.call::<()>("login", &[("username", username), ("password", password)])
            .await
    }

    pub async fn login_demo(&mut self, username: &str) {
        self.login(username, DEMO_PASSWORD)
            .await
            .unwrap_or_else(|e| panic!("demo login {username}: {e:?}"));
    }

    /// Creates a user directly in the database (password already set, no change required).
    pub async fn add_user(
        &self,
        username: &str,
        unit_code: &str,
        roles: &[app::domain::Role],
        password: &str,
    ) -> i64 {
        let mut conn = self.state.pool.acquire().await.unwrap();
        let unit = app::server::units::by_code(&mut conn, unit_code)
            .await
            .unwrap()
            .expect("unit exists");
        let hash =
            app::server::auth::hash_password(&app::domain::NewPassword::parse(password).unwrap())
                .await
                .unwrap();
        let new = app::server::users::NewUser {
            username: username.into(),
            display_name: username.into(),
            unit_id: unit.unit_id,
            roles: roles.to_vec(),
            cert_no: None,
            password_hash: hash,
            must_change_password: false,
        };
        app::server::users::insert(&mut conn, &new).await.unwrap()
    }

    pub async fn unit_id(&self, code: &str) -> i64 {
        let mut conn = self.state.pool.acquire().await.unwrap();
        app::server::units::by_code(&mut conn, code)
            .await
            .unwrap()
            .expect("unit exists")
            .unit_id
    }

    pub async fn user_id(&self, username: &str) -> i64 {
        sqlx::query_scalar("select user_id from app_user where username = $1")
            .bind(username)
            .fetch_one(&self.state.pool)
            .await
            .unwrap()
    }

    /// The audit actions recorded for a target, oldest first.
    pub async fn audit_actions(&self, target: &str) -> Vec<String> {
        sqlx::query_scalar("select action from audit_event where target = $1 order by audit_id")
            .bind(target)
            .fetch_all(&self.state.pool)
            .await
            .unwrap()
    }
}

/// Copies a folder tree.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn serde_urlencoded(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn location(&self) -> Option<String> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Decodes a server function's answer: the value, or the typed error it returned.
    pub fn server_result<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        if self.status.is_success() {
            serde_json::from_slice(&self.body)
                .map_err(|e| AppError::Transport(format!("{e}: {}", self.text())))
        } else {
            Err(serde_json::from_slice(&self.body)
                .unwrap_or_else(|_| AppError::Transport(self.text())))
        }
    }
}

/// Runs a test body, failing it (rather than the whole run) if it has not finished within two minutes.
pub async fn within_time_limit(name: &str, body: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(std::time::Duration::from_secs(120), body)
        .await
        .is_err()
    {
        panic!("{name} did not finish within 120 s");
    }
}

/// Writes each test once and runs it on both databases: `mod sqlite` and `mod postgres`.
#[macro_export]
macro_rules! on_both {
    ($( $(#[$meta:meta])* async fn $name:ident($db:ident: $ty:ty) $body:block )*) => {
        $( $(#[$meta])* async fn $name($db: $ty) $body )*
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { $crate::within_time_limit(stringify!($name), super::$name($crate::Db::Sqlite)).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { $crate::within_time_limit(stringify!($name), super::$name($crate::Db::Postgres)).await } )*
        }
    };
}
