//! `exam-day`: N candidates sit one theory stage against a release server, and the run reports how long the
//! start took, save latencies, errors, acknowledged answers the database lost, and the server's peak memory.

use crate::api::Api;
use crate::database::{self, Database};
use crate::exam::{self, Candidate, Ledger, SaveOutcome};
use crate::server::{self, Server, Spec};
use crate::{PASSWORD, Workdir, workspace_root};
use anyhow::Context;
use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Options {
    pub candidates: usize,
    /// An admin URL of a PostgreSQL server; None for a SQLite file.
    pub database_url: Option<String>,
    pub exam_seconds: u64,
    pub think_seconds: f64,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub candidates: usize,
    pub start_s: f64,
    pub save_p50_ms: f64,
    pub save_p99_ms: f64,
    pub errors: u64,
    pub lost: u64,
    pub rss_mb: u64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exam-day: candidates={} start_s={:.2} save_p50_ms={:.1} save_p99_ms={:.1} errors={} lost={} rss_mb={}",
            self.candidates,
            self.start_s,
            self.save_p50_ms,
            self.save_p99_ms,
            self.errors,
            self.lost,
            self.rss_mb
        )
    }
}

/// Progress on stderr, stamped with seconds since the run began.
struct Progress(Instant);

impl Progress {
    fn say(&self, what: impl fmt::Display) {
        eprintln!("[{:7.1}s] {what}", self.0.elapsed().as_secs_f64());
    }
}

/// Errors counted over all candidates; the first few are printed as they happen.
#[derive(Default)]
struct Errors {
    n: AtomicU64,
}

impl Errors {
    fn record(&self, what: &str, detail: impl fmt::Display) {
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        if n < 5 {
            eprintln!("error: {what}: {detail}");
        }
    }
}

pub async fn run(opts: Options) -> anyhow::Result<Report> {
    let p = Progress(Instant::now());
    let root = workspace_root();
    p.say(format!(
        "building the server ({})",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    ));
    let bin = server::build(&root)?;
    let dir = Workdir::new("bench")?;
    let db = match &opts.database_url {
        None => Database::sqlite(&dir.path),
        Some(admin) => {
            Database::postgres(admin, &format!("lianbing_bench_{}", std::process::id())).await?
        }
    };
    let spec = Spec {
        bin,
        root,
        database_url: db.url.clone(),
        port: server::free_port()?,
        log: dir.path.join("server.log"),
    };
    p.say("starting the server (the first start imports all content)");
    let mut srv = Server::start(spec, Duration::from_secs(120)).await?;
    let outcome = drive(&opts, &db, &mut srv, &p).await;
    let outcome = match outcome {
        Ok(r) => Ok(r),
        Err(e) => {
            if srv.exited().is_some() {
                eprintln!("the server died; log tail:\n{}", srv.log_tail(30));
            }
            Err(e)
        }
    };
    let rss_mb = srv.peak_rss_mb().unwrap_or(0);
    // Cleanup runs whatever happened; the run's own error, if any, is the one worth reporting.
    let stopped = srv.stop().await;
    let removed = db.remove().await;
    drop(dir);
    let mut report = outcome?;
    stopped?;
    removed?;
    report.rss_mb = rss_mb;
    Ok(report)
}

async fn drive(
    opts: &Options,
    db: &Database,
    srv: &mut Server,
    p: &Progress,
) -> anyhow::Result<Report> {
    let pool = db.pool().await?;
    let n = opts.candidates;
    let usernames = database::insert_candidates(&pool, n).await?;
    p.say(format!("{n} candidates inserted; {}", memory(srv)));
    let api = Api::new(&srv.base_url())?;
    let admin = api.login("admin", PASSWORD).await?;
    let ex = exam::set_up(&api, &admin, &pool, &usernames, opts.exam_seconds).await?;
    p.say(format!(
        "competition {} stage {}: enrolled, papers drawn",
        ex.competition, ex.stage
    ));
    let candidates = exam::log_in_and_claim(&api, &usernames, ex.stage, 4, |what, k| {
        p.say(format!("{k} {what}"))
    })
    .await?;
    p.say(format!("{n} logged in and claimed; {}", memory(srv)));

    let errors = Arc::new(Errors::default());
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(
        1,
        120_000_000,
        3,
    )?));
    let papers = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    exam::start(&api, &admin, ex.stage).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for c in candidates {
        let (api, errors, hist, papers) =
            (api.clone(), errors.clone(), hist.clone(), papers.clone());
        let think = opts.think_seconds;
        tasks.spawn(async move {
            let (paper_s, ledger) = sit(&api, &c, think, t0, &errors, &hist, &papers).await;
            (c.sitting, paper_s, ledger)
        });
    }
    p.say("stage started");
    while papers.load(Ordering::Relaxed) < n && t0.elapsed() < Duration::from_secs(35) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    p.say(format!(
        "{} papers delivered; candidates answering; {}",
        papers.load(Ordering::Relaxed),
        memory(srv)
    ));
    let mut sat = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        sat.push(done.context("a candidate task panicked")?);
    }
    if let Some(status) = srv.exited() {
        eprintln!(
            "the server died during the exam ({status}); log tail:\n{}",
            srv.log_tail(30)
        );
    }
    let start_s = sat.iter().filter_map(|(_, s, _)| *s).fold(0.0, f64::max);
    p.say(format!(
        "all submitted; start took {start_s:.2}s; {}",
        memory(srv)
    ));

    let stored = database::stored_answers(&pool, ex.stage).await?;
    let ledgers: Vec<(i64, &Ledger)> = sat.iter().map(|(s, _, l)| (*s, l)).collect();
    let mut lost = exam::count_lost(&ledgers, &stored) as u64;
    let open = database::count_sittings(&pool, ex.stage, false).await?;
    if open > 0 {
        eprintln!("{open} sittings were not submitted");
        lost += open as u64;
    }
    let acked: usize = sat.iter().map(|(_, _, l)| l.acked_count()).sum();
    p.say(format!("verified {acked} acknowledged answers"));
    pool.close().await;
    let h = hist
        .lock()
        .map_err(|_| anyhow::anyhow!("histogram poisoned"))?;
    let ms = |q: f64| {
        if h.is_empty() {
            0.0
        } else {
            h.value_at_quantile(q) as f64 / 1000.0
        }
    };
    Ok(Report {
        candidates: n,
        start_s,
        save_p50_ms: ms(0.50),
        save_p99_ms: ms(0.99),
        errors: errors.n.load(Ordering::Relaxed),
        lost,
        rss_mb: 0,
    })
}

/// One candidate's exam: paper, answers until five seconds are left, submission. Returns when its paper came
/// (seconds after the start) and its ledger.
async fn sit(
    api: &Api,
    c: &Candidate,
    think: f64,
    t0: Instant,
    errors: &Errors,
    hist: &Mutex<Histogram<u64>>,
    papers: &AtomicUsize,
) -> (Option<f64>, Ledger) {
    let mut ledger = Ledger::default();
    let paper = exam::fetch_paper(api, c, Duration::from_secs(30), |f| {
        errors.record("paper", f)
    })
    .await;
    let paper = match paper {
        Ok(p) => p,
        Err(f) => {
            errors.record("paper (gave up)", f);
            return (None, ledger);
        }
    };
    let paper_s = t0.elapsed().as_secs_f64();
    papers.fetch_add(1, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_millis(paper.remaining_ms.max(0) as u64);
    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut first = true;
    loop {
        let pause = if first {
            rng.gen_range(0.0..=think)
        } else {
            think * rng.gen_range(0.5..=1.5)
        };
        first = false;
        tokio::time::sleep(Duration::from_secs_f64(pause)).await;
        if deadline.saturating_duration_since(Instant::now()) < Duration::from_secs(5) {
            break;
        }
        if paper.questions.is_empty() {
            break;
        }
        let q = &paper.questions[rng.gen_range(0..paper.questions.len())];
        let answer = exam::random_answer(q, &mut rng);
        let (latencies, failure) =
            match exam::save_answer(api, c, &mut ledger, q.pos, &answer, 5).await {
                SaveOutcome::Saved(l) => (l, None),
                SaveOutcome::Failed(f, l) => (l, Some(f)),
            };
        if let Ok(mut h) = hist.lock() {
            for l in latencies {
                h.saturating_record(l.as_micros().max(1) as u64);
            }
        }
        if let Some(f) = failure {
            errors.record(&format!("save by {}", c.username), f);
        }
    }
    if let Err(f) = exam::submit(api, c).await {
        errors.record(&format!("submit by {}", c.username), f);
    }
    (Some(paper_s), ledger)
}

/// The server's memory, for progress lines: where in the run the peak was reached.
fn memory(srv: &Server) -> String {
    match (srv.rss_mb(), srv.peak_rss_mb()) {
        (Some(now), Some(peak)) => format!("server rss {now} MB, peak {peak} MB"),
        _ => "server memory unknown".to_owned(),
    }
}
