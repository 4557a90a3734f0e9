//! The server is SIGKILLed while candidates save answers, then restarted on the same database: every
//! acknowledged answer must still be there, no sitting submitted, and each deadline where it was.

use lianbing_bench::api::Api;
use lianbing_bench::database::{self, Database};
use lianbing_bench::exam::{self, Candidate, Ledger, SaveOutcome};
use lianbing_bench::server::{self, Server, Spec};
use lianbing_bench::{PASSWORD, Workdir, workspace_root};
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

const CANDIDATES: usize = 10;
const EXAM_SECONDS: u64 = 120;
const THINK: f64 = 1.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_answers_survive_a_crash_on_sqlite() {
    let dir = Workdir::new("crash-sqlite").unwrap();
    let db = Database::sqlite(&dir.path);
    crash_and_recover(&dir, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_answers_survive_a_crash_on_postgres() {
    let dir = Workdir::new("crash-pg").unwrap();
    let name = format!(
        "lianbing_crash_{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    );
    let db = Database::postgres(&database::pg_admin_url(), &name)
        .await
        .expect("PostgreSQL must run at 127.0.0.1:5432 (LIANBING_TEST_PG overrides)");
    crash_and_recover(&dir, db).await;
}

/// What a candidate task hands back after the crash.
struct Sat {
    candidate: Candidate,
    deadline: i64,
    ledger: Ledger,
}

async fn crash_and_recover(dir: &Workdir, db: Database) {
    let began = Instant::now();
    let bin = server::build(&workspace_root()).expect("build the server");
    let spec = Spec {
        bin,
        root: workspace_root(),
        database_url: db.url.clone(),
        port: server::free_port().unwrap(),
        log: dir.path.join("server.log"),
    };
    let mut srv = Server::start(spec, Duration::from_secs(120))
        .await
        .expect("server starts");
    let pool = db.pool().await.unwrap();
    let usernames = database::insert_candidates(&pool, CANDIDATES)
        .await
        .unwrap();
    let api = Api::new(&srv.base_url()).unwrap();
    let admin = api.login("admin", PASSWORD).await.unwrap();
    let ex = exam::set_up(&api, &admin, &pool, &usernames, EXAM_SECONDS)
        .await
        .unwrap();
    let candidates = exam::log_in_and_claim(&api, &usernames, ex.stage, 4, |_, _| {})
        .await
        .unwrap();
    exam::start(&api, &admin, ex.stage).await.unwrap();

    // Candidates answer every second or so; `burst` makes all of them save at once, so the kill finds saves in
    // flight.
    let stop = Arc::new(AtomicBool::new(false));
    let burst = Arc::new(Notify::new());
    let mut tasks = tokio::task::JoinSet::new();
    for c in candidates {
        let (api, stop, burst) = (api.clone(), stop.clone(), burst.clone());
        tasks.spawn(async move {
            let paper = exam::fetch_paper(&api, &c, Duration::from_secs(30), |_| {})
                .await
                .unwrap_or_else(|f| panic!("paper of {}: {f}", c.username));
            assert_eq!(paper.state, "running");
            assert!(paper.answers.is_empty(), "{:?}", paper.answers);
            let mut ledger = Ledger::default();
            let mut rng = rand::rngs::StdRng::from_entropy();
            let mut pause = rng.gen_range(0.0..=THINK);
            while !stop.load(Ordering::SeqCst) {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs_f64(pause)) => {}
                    _ = burst.notified() => {}
                }
                pause = THINK * rng.gen_range(0.5..=1.5);
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let q = &paper.questions[rng.gen_range(0..paper.questions.len())];
                let answer = exam::random_answer(q, &mut rng);
                // One try: once the server is gone, the save is unacknowledged and the ledger knows it.
                if let SaveOutcome::Failed(f, _) =
                    exam::save_answer(&api, &c, &mut ledger, q.pos, &answer, 1).await
                {
                    assert!(
                        f.status().is_none() || f.retry(),
                        "save by {} refused before the crash: {f}",
                        c.username
                    );
                }
            }
            Sat {
                deadline: paper.deadline(),
                candidate: c,
                ledger,
            }
        });
    }

    tokio::time::sleep(Duration::from_secs(4)).await;
    burst.notify_waiters();
    tokio::time::sleep(Duration::from_millis(3)).await;
    srv.crash().unwrap();
    stop.store(true, Ordering::SeqCst);
    burst.notify_waiters();
    let mut sat = Vec::new();
    while let Some(done) = tasks.join_next().await {
        sat.push(done.expect("candidate task"));
    }
    let acked: usize = sat.iter().map(|s| s.ledger.acked_count()).sum();
    let unsure: usize = sat.iter().map(|s| s.ledger.unsure_count()).sum();
    assert!(
        acked >= CANDIDATES,
        "only {acked} answers acknowledged before the crash"
    );

    srv.restart(Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("restart: {e:#}"));

    let stored = database::stored_answers(&pool, ex.stage).await.unwrap();
    for s in &sat {
        let lost = s.ledger.lost(stored.get(&s.candidate.sitting));
        assert!(
            lost.is_empty(),
            "{}: acknowledged answers lost (pos, acknowledged, stored): {lost:?}",
            s.candidate.username
        );
    }
    assert_eq!(
        database::count_sittings(&pool, ex.stage, true)
            .await
            .unwrap(),
        0,
        "a sitting was submitted by the crash or the restart"
    );

    // A fresh client: the old one's pooled connections died with the server.
    let api = Api::new(&srv.base_url()).unwrap();
    for s in &sat {
        let c = &s.candidate;
        let paper = api
            .paper(c.sitting, &c.token)
            .await
            .unwrap_or_else(|f| panic!("paper of {} after the restart: {f}", c.username));
        assert!(
            (paper.deadline() - s.deadline).abs() <= 1,
            "{}: deadline {} before the crash, {} after",
            c.username,
            s.deadline,
            paper.deadline()
        );
        let mine = stored.get(&c.sitting);
        for (pos, _) in s.ledger.acked() {
            let shown = paper.answers.get(&pos.to_string());
            let kept = mine.and_then(|m| m.get(&pos)).map(|(_, a)| a);
            assert_eq!(
                shown, kept,
                "{}: answer {pos} shown after the restart",
                c.username
            );
        }
    }
    for s in &sat {
        exam::submit(&api, &s.candidate)
            .await
            .unwrap_or_else(|f| panic!("submit by {}: {f}", s.candidate.username));
    }
    assert_eq!(
        database::count_sittings(&pool, ex.stage, false)
            .await
            .unwrap(),
        0
    );
    pool.close().await;
    srv.stop().await.unwrap();
    db.remove().await.unwrap();
    eprintln!(
        "{acked} acknowledged answers kept, {unsure} in flight at the kill, {:.1}s",
        began.elapsed().as_secs_f64()
    );
}
