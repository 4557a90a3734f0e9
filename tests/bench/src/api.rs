//! The server's HTTP contract as the bench uses it: login, server functions, and the exam routes. One client is
//! shared by every candidate; the session cookie and the exam token travel as headers, not in a cookie jar.

use anyhow::{Context, bail};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, COOKIE, SET_COOKIE};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

pub const TOKEN_HEADER: &str = "x-exam-token";

/// Why an exam call did not give its result.
#[derive(Debug)]
pub enum Failure {
    Status(StatusCode, String),
    Transport(String),
}

impl Failure {
    /// 503 is the server's "nothing was done, try again".
    pub fn retry(&self) -> bool {
        matches!(self, Failure::Status(s, _) if *s == StatusCode::SERVICE_UNAVAILABLE)
    }

    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Failure::Status(s, _) => Some(*s),
            Failure::Transport(_) => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status(s, body) => {
                let body: String = body.chars().take(200).collect();
                write!(f, "{} {body}", s.as_u16())
            }
            Failure::Transport(e) => write!(f, "transport: {e}"),
        }
    }
}

impl std::error::Error for Failure {}

#[derive(Clone, Debug, Deserialize)]
pub struct Claim {
    pub sitting: i64,
    pub token: String,
    pub state: String,
    pub starts_at: Option<i64>,
    pub remaining_ms: Option<i64>,
    pub server_now: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Question {
    pub pos: i64,
    pub kind: String,
    pub stem: String,
    /// (the question's own letter, text), in this paper's order.
    pub options: Vec<(String, String)>,
    pub points: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Paper {
    pub state: String,
    pub remaining_ms: i64,
    pub server_now: i64,
    pub questions: Vec<Question>,
    /// Saved answers by position; JSON object keys are strings.
    pub answers: HashMap<String, String>,
}

impl Paper {
    /// The deadline on the server's clock, in epoch seconds.
    pub fn deadline(&self) -> i64 {
        self.server_now + self.remaining_ms / 1000
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct AnswerOut {
    pub pos: i64,
    pub answer: String,
    pub seq: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Saved {
    pub saved: i64,
    pub remaining_ms: i64,
}

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(usize::MAX)
            .tcp_nodelay(true)
            // A redirect would lose the login's Set-Cookie; server functions answer JSON anyway.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Api {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Logs in and returns the `lb_session=…` pair to send as the Cookie header.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let r = self
            .http
            .post(self.url("/api/login"))
            .header(ACCEPT, "application/json")
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .with_context(|| format!("login {username}"))?;
        let status = r.status();
        let cookie = r
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|c| c.trim_start().starts_with("lb_session="))
            .map(|c| c.trim().to_owned());
        if !status.is_success() {
            let body = r.text().await.unwrap_or_default();
            bail!("login {username}: {status} {body}");
        }
        cookie.with_context(|| format!("login {username}: no lb_session cookie"))
    }

    /// Calls a server function (`POST /api/NAME`, form fields) and decodes its JSON result.
    pub async fn server_fn<T: DeserializeOwned>(
        &self,
        cookie: &str,
        name: &str,
        form: &[(&str, String)],
    ) -> anyhow::Result<T> {
        let r = self
            .http
            .post(self.url(&format!("/api/{name}")))
            .header(ACCEPT, "application/json")
            .header(COOKIE, cookie)
            .form(form)
            .send()
            .await
            .with_context(|| format!("/api/{name}"))?;
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("/api/{name}: {status} {body}");
        }
        serde_json::from_str(&body)
            .with_context(|| format!("/api/{name}: unexpected answer {body}"))
    }

    /// Makes this client the candidate's exam session for the stage.
    pub async fn claim(&self, cookie: &str, stage: i64) -> Result<Claim, Failure> {
        decode(
            self.http
                .post(self.url(&format!("/exam/api/claim/{stage}")))
                .header(ACCEPT, "application/json")
                .header(COOKIE, cookie)
                .send()
                .await,
        )
        .await
    }

    pub async fn paper(&self, sitting: i64, token: &str) -> Result<Paper, Failure> {
        decode(
            self.http
                .get(self.url(&format!("/exam/api/{sitting}/paper")))
                .header(TOKEN_HEADER, token)
                .send()
                .await,
        )
        .await
    }

    pub async fn save(
        &self,
        sitting: i64,
        token: &str,
        answers: &[AnswerOut],
    ) -> Result<Saved, Failure> {
        decode(
            self.http
                .post(self.url(&format!("/exam/api/{sitting}/answers")))
                .header(TOKEN_HEADER, token)
                .json(&serde_json::json!({ "answers": answers }))
                .send()
                .await,
        )
        .await
    }

    pub async fn submit(&self, sitting: i64, token: &str) -> Result<serde_json::Value, Failure> {
        decode(
            self.http
                .post(self.url(&format!("/exam/api/{sitting}/submit")))
                .header(TOKEN_HEADER, token)
                .send()
                .await,
        )
        .await
    }
}

async fn decode<T: DeserializeOwned>(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, Failure> {
    let r = sent.map_err(|e| Failure::Transport(error_chain(&e)))?;
    let status = r.status();
    let body = r
        .text()
        .await
        .map_err(|e| Failure::Transport(error_chain(&e)))?;
    if !status.is_success() {
        return Err(Failure::Status(status, body));
    }
    serde_json::from_str(&body)
        .map_err(|e| Failure::Status(status, format!("unexpected body ({e}): {body}")))
}

/// reqwest's top-level message hides the cause (reset, refused, timed out).
fn error_chain(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}
