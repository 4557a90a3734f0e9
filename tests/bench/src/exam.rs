//! One theory exam from both sides: the admin's setup and start, the candidates' login, claim, paper, answers
//! and submission, and the ledger of acknowledged answers that the stored ones are checked against.

use crate::api::{AnswerOut, Api, Failure, Paper, Question};
use crate::database::{self, Stored};
use anyhow::{Context, bail};
use futures::StreamExt;
use rand::Rng;
use sqlx::AnyPool;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The competition and its theory stage.
#[derive(Clone, Copy, Debug)]
pub struct Exam {
    pub competition: i64,
    pub stage: i64,
}

/// Creates a provincial competition with one theory stage (20 single, 10 multiple, 10 judge), enrols the
/// candidates and opens the waiting room, which draws every paper. The stage lasts `exam_seconds` exactly.
pub async fn set_up(
    api: &Api,
    admin: &str,
    pool: &AnyPool,
    usernames: &[String],
    exam_seconds: u64,
) -> anyhow::Result<Exam> {
    let s = |v: &str| v.to_owned();
    let competition: i64 = api
        .server_fn(
            admin,
            "create_competition",
            &[
                ("name", s("考前压测")),
                ("level", s("provincial")),
                ("unit", s("ZJ")),
            ],
        )
        .await?;
    let minutes = exam_seconds.div_ceil(60).max(1);
    let stage: i64 = api
        .server_fn(
            admin,
            "save_stage",
            &[
                ("competition", competition.to_string()),
                ("kind", s("theory")),
                ("title", s("理论考试")),
                ("weight", s("100")),
                ("minutes", minutes.to_string()),
                ("rule", s("half_if_subset")),
                ("bp[kind0]", s("single")),
                ("bp[count0]", s("20")),
                ("bp[points0]", s("1")),
                ("bp[kind1]", s("multiple")),
                ("bp[count1]", s("10")),
                ("bp[points1]", s("2")),
                ("bp[kind2]", s("judge")),
                ("bp[count2]", s("10")),
                ("bp[points2]", s("1")),
            ],
        )
        .await?;
    database::set_duration(pool, stage, exam_seconds as i64).await?;
    let _: serde_json::Value = api
        .server_fn(
            admin,
            "advance_competition",
            &[("id", competition.to_string()), ("to", s("open"))],
        )
        .await?;
    let report: serde_json::Value = api
        .server_fn(
            admin,
            "enrol_candidates",
            &[
                ("competition", competition.to_string()),
                ("lines", usernames.join("\n")),
            ],
        )
        .await?;
    if report["enrolled"].as_u64() != Some(usernames.len() as u64) {
        bail!(
            "enrolled {} candidates, the report says {report}",
            usernames.len()
        );
    }
    let drawn: u64 = api
        .server_fn(admin, "open_waiting_room", &[("stage", stage.to_string())])
        .await?;
    if drawn != usernames.len() as u64 {
        bail!("{drawn} papers drawn for {} candidates", usernames.len());
    }
    Ok(Exam { competition, stage })
}

/// Starts the stage; returns when the start is committed.
pub async fn start(api: &Api, admin: &str, stage: i64) -> anyhow::Result<()> {
    let _: serde_json::Value = api
        .server_fn(admin, "start_stage", &[("stage", stage.to_string())])
        .await?;
    Ok(())
}

/// A candidate holding its exam session.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub username: String,
    pub cookie: String,
    pub sitting: i64,
    pub token: String,
}

/// Logs every candidate in (`concurrency` at a time: each login is a deliberately slow password check on the
/// server), then claims each one's sitting. `progress` is told how many are done, every 1000.
pub async fn log_in_and_claim(
    api: &Api,
    usernames: &[String],
    stage: i64,
    concurrency: usize,
    progress: impl Fn(&str, usize) + Sync,
) -> anyhow::Result<Vec<Candidate>> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = |what: &str| {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n.is_multiple_of(1000) {
            progress(what, n);
        }
    };
    let cookies: Vec<String> = futures::stream::iter(usernames)
        .map(|u| async {
            let c = api.login(u, crate::PASSWORD).await;
            tick("logged in");
            c
        })
        .buffered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    done.store(0, std::sync::atomic::Ordering::Relaxed);
    let claims = futures::stream::iter(usernames.iter().zip(cookies))
        .map(|(u, cookie)| async move {
            let c = api
                .claim(&cookie, stage)
                .await
                .with_context(|| format!("claim by {u}"))?;
            Ok::<_, anyhow::Error>(Candidate {
                username: u.clone(),
                cookie,
                sitting: c.sitting,
                token: c.token,
            })
        })
        .buffered(16)
        .map(|c| {
            tick("claimed");
            c
        })
        .collect::<Vec<_>>()
        .await;
    claims.into_iter().collect()
}

/// Fetches the paper, retrying 503 and every other failure every 200 ms for up to `patience`. Failures other
/// than 503 are reported to `failed` (a browser would have shown them) before the retry.
pub async fn fetch_paper(
    api: &Api,
    c: &Candidate,
    patience: Duration,
    mut failed: impl FnMut(&Failure),
) -> Result<Paper, Failure> {
    let since = Instant::now();
    loop {
        match api.paper(c.sitting, &c.token).await {
            Ok(p) => return Ok(p),
            Err(f) => {
                if !f.retry() {
                    failed(&f);
                }
                if since.elapsed() >= patience {
                    return Err(f);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A random answer to a question, as a candidate clicking would give: one letter, a non-empty set of letters
/// (sorted), or T/F.
pub fn random_answer(q: &Question, rng: &mut impl Rng) -> String {
    let letters: Vec<&str> = q.options.iter().map(|(l, _)| l.as_str()).collect();
    match q.kind.as_str() {
        "judge" => if rng.r#gen() { "T" } else { "F" }.to_owned(),
        "multiple" if !letters.is_empty() => loop {
            let mut chosen: Vec<&str> = letters
                .iter()
                .copied()
                .filter(|_| rng.r#gen_bool(0.5))
                .collect();
            if chosen.is_empty() {
                continue;
            }
            chosen.sort_unstable();
            break chosen.concat();
        },
        _ if !letters.is_empty() => letters[rng.gen_range(0..letters.len())].to_owned(),
        _ => String::new(),
    }
}

/// What one candidate sent: the last acknowledged answer per position, and the answers whose fate is unknown
/// (the request failed, but the server may have committed it before failing).
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pub seq: i64,
    acked: HashMap<i64, (i64, String)>,
    unsure: HashMap<i64, (i64, String)>,
}

impl Ledger {
    /// The next sequence number: one per save request, retries reuse theirs.
    pub fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        self.seq
    }

    pub fn acknowledged(&mut self, pos: i64, seq: i64, answer: &str) {
        self.unsure.remove(&seq);
        let newer = self.acked.get(&pos).is_none_or(|(s, _)| *s < seq);
        if newer {
            self.acked.insert(pos, (seq, answer.to_owned()));
        }
    }

    pub fn unsure(&mut self, pos: i64, seq: i64, answer: &str) {
        self.unsure.insert(seq, (pos, answer.to_owned()));
    }

    /// The last acknowledged answer per position.
    pub fn acked(&self) -> impl Iterator<Item = (i64, &str)> {
        self.acked.iter().map(|(p, (_, a))| (*p, a.as_str()))
    }

    pub fn acked_count(&self) -> usize {
        self.acked.len()
    }

    pub fn unsure_count(&self) -> usize {
        self.unsure.len()
    }

    /// Acknowledged answers the store does not hold: missing, or replaced by something that is neither the
    /// acknowledged answer nor a later request of this candidate that may have landed.
    pub fn lost(
        &self,
        stored: Option<&HashMap<i64, (i64, String)>>,
    ) -> Vec<(i64, String, Option<String>)> {
        let mut lost = Vec::new();
        for (pos, (seq, answer)) in &self.acked {
            let kept = stored.and_then(|s| s.get(pos));
            let ok = match kept {
                Some((s, a)) if s == seq => a == answer,
                Some((s, a)) if s > seq => {
                    self.unsure.get(s).is_some_and(|(p, u)| p == pos && u == a)
                }
                _ => false,
            };
            if !ok {
                lost.push((*pos, answer.clone(), kept.map(|(_, a)| a.clone())));
            }
        }
        lost.sort();
        lost
    }
}

/// Lost answers over all candidates (see `Ledger::lost`).
pub fn count_lost(candidates: &[(i64, &Ledger)], stored: &Stored) -> usize {
    candidates
        .iter()
        .map(|(sitting, ledger)| ledger.lost(stored.get(sitting)).len())
        .sum()
}

/// The outcome of one save attempt series.
pub enum SaveOutcome {
    /// Acknowledged, with the latency of each request that got a response (retries included).
    Saved(Vec<Duration>),
    /// Not acknowledged; the last failure, and latencies of the 503s on the way.
    Failed(Failure, Vec<Duration>),
}

/// Saves one answer, retrying 503 after 500 ms up to `tries` times, and records the outcome in the ledger.
pub async fn save_answer(
    api: &Api,
    c: &Candidate,
    ledger: &mut Ledger,
    pos: i64,
    answer: &str,
    tries: usize,
) -> SaveOutcome {
    let seq = ledger.next_seq();
    let body = [AnswerOut {
        pos,
        answer: answer.to_owned(),
        seq,
    }];
    let mut latencies = Vec::new();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let sent = Instant::now();
        match api.save(c.sitting, &c.token, &body).await {
            Ok(_) => {
                latencies.push(sent.elapsed());
                ledger.acknowledged(pos, seq, answer);
                return SaveOutcome::Saved(latencies);
            }
            Err(f) if f.retry() && attempt < tries.max(1) => {
                latencies.push(sent.elapsed());
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(f) => {
                if f.retry() {
                    latencies.push(sent.elapsed());
                }
                ledger.unsure(pos, seq, answer);
                return SaveOutcome::Failed(f, latencies);
            }
        }
    }
}

/// Submits, retrying 503 a few times. A 410 means the server already submitted at the deadline: fine.
pub async fn submit(api: &Api, c: &Candidate) -> Result<(), Failure> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match api.submit(c.sitting, &c.token).await {
            Ok(_) => return Ok(()),
            Err(f) if f.status() == Some(reqwest::StatusCode::GONE) => return Ok(()),
            Err(f) if f.retry() && attempt < 5 => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(f) => return Err(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn q(kind: &str, letters: &[&str]) -> Question {
        Question {
            pos: 0,
            kind: kind.into(),
            stem: String::new(),
            options: letters
                .iter()
                .map(|l| (l.to_string(), String::new()))
                .collect(),
            points: 1,
        }
    }

    #[test]
    fn random_answers_are_valid() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let a = random_answer(&q("multiple", &["C", "A", "D", "B"]), &mut rng);
            assert!(!a.is_empty());
            let mut sorted: Vec<char> = a.chars().collect();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(a, sorted.into_iter().collect::<String>());
            let s = random_answer(&q("single", &["B", "A"]), &mut rng);
            assert!(s == "A" || s == "B");
            let j = random_answer(&q("judge", &["T", "F"]), &mut rng);
            assert!(j == "T" || j == "F");
        }
    }

    #[test]
    fn ledger_accepts_a_later_request_that_may_have_landed() {
        let mut l = Ledger::default();
        let s1 = l.next_seq();
        l.acknowledged(3, s1, "A");
        let s2 = l.next_seq();
        l.unsure(3, s2, "B");
        let stored = |seq: i64, a: &str| HashMap::from([(3, (seq, a.to_owned()))]);
        assert!(l.lost(Some(&stored(s1, "A"))).is_empty());
        assert!(l.lost(Some(&stored(s2, "B"))).is_empty());
        assert_eq!(l.lost(Some(&stored(s1, "C"))).len(), 1);
        assert_eq!(l.lost(Some(&stored(s2 + 1, "B"))).len(), 1);
        assert_eq!(l.lost(None).len(), 1);
    }
}
