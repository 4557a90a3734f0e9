//! Scenario attempts in the database. A row keeps the content version, the seed and the actions; the engine
//! replays them to the current state. Saving checks that nobody saved in between (two tabs, a double click), so an
//! action is applied to the state the trainee saw or not at all.

use crate::content::engine::{self, Action, PeriodMark, State};
use crate::content::model::Scenario;
use sqlx::{AnyConnection, Row};

#[derive(Clone, Debug)]
pub struct Attempt {
    pub id: i64,
    pub user_id: i64,
    pub scenario_key: String,
    pub version_id: i64,
    pub seed: u64,
    pub mode: Mode,
    pub stage_id: Option<i64>,
    pub actions: Vec<Action>,
    pub marks: Vec<PeriodMark>,
    pub status: String,
    pub score: Option<i64>,
    pub max_score: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub deadline_at: Option<i64>,
    /// The actions column as stored, for the optimistic check on save.
    stored_actions: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Feedback after every step.
    Practice,
    /// Nothing until the end; the competition's practical stage uses this mode with a deadline.
    Exam,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Practice => "practice",
            Mode::Exam => "exam",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "practice" => Some(Mode::Practice),
            "exam" => Some(Mode::Exam),
            _ => None,
        }
    }
}

/// Why a save did not happen.
#[derive(Debug)]
pub enum SaveError {
    /// Someone saved this attempt since it was loaded.
    Stale,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for SaveError {
    fn from(e: sqlx::Error) -> Self {
        SaveError::Db(e)
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// Starts an attempt on an exact content version with a fresh seed.
pub async fn create(
    conn: &mut AnyConnection,
    user_id: i64,
    scenario_key: &str,
    version_id: i64,
    max_score: u32,
    mode: Mode,
    stage_id: Option<i64>,
    deadline_at: Option<i64>,
) -> Result<i64, sqlx::Error> {
    // 63 bits, so the seed fits a signed 64-bit column on both databases.
    let seed = rand::random::<u64>() & (i64::MAX as u64);
    let now = super::db::now();
    sqlx::query_scalar(
        "insert into scenario_attempt (user_id, scenario_key, version_id, seed, mode, stage_id, actions, marks, \
         status, max_score, critical, started_at, updated_at, deadline_at) \
         values ($1, $2, $3, $4, $5, $6, '[]', '[]', 'open', $7, 0, $8, $8, $9) returning attempt_id",
    )
    .bind(user_id)
    .bind(scenario_key)
    .bind(version_id)
    .bind(seed as i64)
    .bind(mode.as_str())
    .bind(stage_id)
    .bind(i64::from(max_score))
    .bind(now)
    .bind(deadline_at)
    .fetch_one(conn)
    .await
}

const COLUMNS: &str = "attempt_id, user_id, scenario_key, version_id, seed, mode, stage_id, actions, marks, status, \
     score, max_score, started_at, finished_at, deadline_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Attempt, sqlx::Error> {
    let actions: String = row.try_get("actions")?;
    let marks: String = row.try_get("marks")?;
    let mode: String = row.try_get("mode")?;
    let decode =
        |what: &str, e: serde_json::Error| sqlx::Error::Decode(format!("{what}: {e}").into());
    Ok(Attempt {
        id: row.try_get("attempt_id")?,
        user_id: row.try_get("user_id")?,
        scenario_key: row.try_get("scenario_key")?,
        version_id: row.try_get("version_id")?,
        seed: row.try_get::<i64, _>("seed")? as u64,
        mode: Mode::parse(&mode).unwrap_or(Mode::Exam),
        stage_id: row.try_get("stage_id")?,
        actions: serde_json::from_str(&actions).map_err(|e| decode("actions", e))?,
        marks: serde_json::from_str(&marks).map_err(|e| decode("marks", e))?,
        status: row.try_get("status")?,
        score: row.try_get("score")?,
        max_score: row.try_get("max_score")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        deadline_at: row.try_get("deadline_at")?,
        stored_actions: actions,
    })
}

pub async fn load(conn: &mut AnyConnection, id: i64) -> Result<Option<Attempt>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from scenario_attempt where attempt_id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A person's attempts, newest first.
/// A trainee's own practice and self-set exam attempts; a competition's practical attempts belong to the
/// competition (and their results to its release), not to the catalogue's history.
pub async fn of_user(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<Attempt>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from scenario_attempt where user_id = $1 and status <> 'abandoned' and stage_id is null \
         order by started_at desc, attempt_id desc"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Leaves open practice attempts of a scenario behind when the trainee starts it afresh.
pub async fn abandon_open(
    conn: &mut AnyConnection,
    user_id: i64,
    scenario_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update scenario_attempt set status = 'abandoned', updated_at = $3 \
         where user_id = $1 and scenario_key = $2 and status = 'open' and stage_id is null",
    )
    .bind(user_id)
    .bind(scenario_key)
    .bind(super::db::now())
    .execute(conn)
    .await?;
    Ok(())
}

impl Attempt {
    /// Replays the attempt to where it stands.
    pub fn state(&self, s: &Scenario) -> Result<State, engine::EngineError> {
        engine::replay(s, self.seed, &self.actions)
    }

    /// Whether the server's clock has passed the attempt's deadline.
    pub fn expired(&self, now: i64) -> bool {
        self.deadline_at.is_some_and(|d| now >= d)
    }

    /// Stores new actions and marks. An attempt that reached an ending, or whose time is up (`close`), is
    /// finished with its score and never changes again.
    pub async fn save(
        &mut self,
        conn: &mut AnyConnection,
        s: &Scenario,
        state: &State,
        close: bool,
    ) -> Result<(), SaveError> {
        let finished = state.finished || close;
        let now = super::db::now();
        let actions = json(&self.actions);
        let done = sqlx::query(
            "update scenario_attempt set actions = $1, marks = $2, status = $3, score = $4, critical = $5, \
             updated_at = $6, finished_at = $7 where attempt_id = $8 and status = 'open' and actions = $9",
        )
        .bind(&actions)
        .bind(json(&self.marks))
        .bind(if finished { "finished" } else { "open" })
        .bind(finished.then(|| i64::from(state.total(s))))
        .bind(i64::from(state.critical.is_some()))
        .bind(now)
        .bind(finished.then_some(now))
        .bind(self.id)
        .bind(&self.stored_actions)
        .execute(conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(SaveError::Stale);
        }
        self.stored_actions = actions;
        if finished {
            self.status = "finished".into();
            self.score = Some(i64::from(state.total(s)));
            self.finished_at = Some(now);
        }
        Ok(())
    }
}
