//! Competitions over HTTP: setting one up with a blueprint and a roster (per-row errors, CSV and XLSX), the
//! theory exam from waiting room to release (papers drawn per candidate, nothing of the key in any response, saves
//! acknowledged only once stored, one active session, the server's clock, automatic submission), extra time,
//! item statistics with a voided question, and the scenario practical stage.

use app::competition::{CompetitionAdmin, MyCompetition, RosterReport, StageStatsView};
use app::domain::Role;
use app::error::AppError;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianbing_tests::{Db, Response, TestApp, on_both};
use serde_json::{Value, json};

const BLUEPRINT: &[(&str, &str)] = &[
    ("kind", "theory"),
    ("title", "理论考试"),
    ("weight", "60"),
    ("minutes", "30"),
    ("rule", "half_if_subset"),
    ("bp[kind0]", "single"),
    ("bp[count0]", "5"),
    ("bp[points0]", "2"),
    ("bp[kind1]", "multiple"),
    ("bp[count1]", "3"),
    ("bp[points1]", "2"),
    ("bp[kind2]", "judge"),
    ("bp[count2]", "2"),
    ("bp[points2]", "1"),
];

/// An admin of Zhejiang with a competition, its theory stage, and the bank to draw from.
async fn setup(db: Db) -> (TestApp, i64, i64) {
    let mut admin = TestApp::new(db).await;
    admin
        .import_fixture_content_and(&[], &["bank-law", "bank-procedure"])
        .await;
    admin.login_demo("admin").await;
    let cid: i64 = admin
        .call(
            "create_competition",
            &[
                ("name", "2026年浙江省执法大比武"),
                ("level", "provincial"),
                ("unit", "ZJ"),
            ],
        )
        .await
        .unwrap();
    let c = cid.to_string();
    let mut form = vec![("competition", c.as_str())];
    form.extend_from_slice(BLUEPRINT);
    let stage: i64 = admin.call("save_stage", &form).await.unwrap();
    let () = admin
        .call("advance_competition", &[("id", &c), ("to", "open")])
        .await
        .unwrap();
    (admin, cid, stage)
}

async fn enrol(admin: &mut TestApp, cid: i64, lines: &str) -> RosterReport {
    admin
        .call(
            "enrol_candidates",
            &[("competition", &cid.to_string()), ("lines", lines)],
        )
        .await
        .unwrap()
}

async fn candidate(admin: &TestApp, username: &str, unit: &str) -> TestApp {
    admin
        .add_user(username, unit, &[Role::Trainee], "Candidate-2026")
        .await;
    let mut b = admin.new_browser();
    b.login(username, "Candidate-2026").await.unwrap();
    b
}

struct Exam {
    sitting: i64,
    token: String,
}

async fn claim(b: &mut TestApp, stage: i64) -> (Response, Option<Exam>) {
    let req = Request::post(format!("/exam/api/claim/{stage}"))
        .body(Body::empty())
        .unwrap();
    let res = b.send(req).await;
    let exam = serde_json::from_slice::<Value>(&res.body)
        .ok()
        .and_then(|v| {
            Some(Exam {
                sitting: v["sitting"].as_i64()?,
                token: v["token"].as_str()?.to_owned(),
            })
        });
    (res, exam)
}

async fn exam_get(b: &mut TestApp, exam: &Exam, what: &str) -> Response {
    let req = Request::get(format!("/exam/api/{}/{what}", exam.sitting))
        .header("x-exam-token", &exam.token)
        .body(Body::empty())
        .unwrap();
    b.send(req).await
}

async fn save(b: &mut TestApp, exam: &Exam, answers: Value) -> Response {
    let req = Request::post(format!("/exam/api/{}/answers", exam.sitting))
        .header("x-exam-token", &exam.token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "answers": answers }).to_string()))
        .unwrap();
    b.send(req).await
}

async fn submit(b: &mut TestApp, exam: &Exam) -> Response {
    let req = Request::post(format!("/exam/api/{}/submit", exam.sitting))
        .header("x-exam-token", &exam.token)
        .body(Body::empty())
        .unwrap();
    b.send(req).await
}

fn json_of(res: &Response) -> Value {
    serde_json::from_slice(&res.body).unwrap_or_else(|_| panic!("not JSON: {}", res.text()))
}

async fn sweep(app: &TestApp) -> usize {
    let mut conn = app.state.pool.acquire().await.unwrap();
    app::competition::ssr::sweep(&mut conn, app::server::db::now())
        .await
        .unwrap()
}

/// Moves a stage's clock into the past, as if its time had run out.
async fn expire(app: &TestApp, stage: i64) {
    let now = app::server::db::now();
    sqlx::query("update exam_sitting set deadline_at = $1 where stage_id = $2")
        .bind(now - 60)
        .bind(stage)
        .execute(&app.state.pool)
        .await
        .unwrap();
    sqlx::query("update stage set started_at = $1 where stage_id = $2")
        .bind(now - 3600)
        .bind(stage)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

/// The right answer of a question, from the database (the test plays a candidate who knows the key).
async fn key_of(app: &TestApp, question: &str) -> String {
    let body: String = sqlx::query_scalar(
        "select v.body from content_item i join content_version v on v.content_id = i.content_id \
         and v.version = i.published_version where i.item_key = $1",
    )
    .bind(question)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let q: Value = serde_json::from_str(&body).unwrap();
    let mut letters: Vec<String> = q["answer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    letters.sort();
    letters.concat()
}

/// The questions of a sitting's paper, by position: (question key, kind).
async fn paper_of(app: &TestApp, sitting: i64) -> Vec<(String, String)> {
    let paper: String = sqlx::query_scalar("select paper from exam_sitting where sitting_id = $1")
        .bind(sitting)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let items: Vec<Value> = serde_json::from_str(&paper).unwrap();
    items
        .iter()
        .map(|i| {
            (
                i["q"].as_str().unwrap().to_owned(),
                i["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

on_both! {
    async fn an_admin_sets_up_a_competition_and_enrols_a_roster_with_errors_per_row(db: Db) {
        let (mut admin, cid, _) = setup(db).await;
        admin.add_user("hz-officer", "ZJ-HZ-XH", &[Role::Trainee], "Candidate-2026").await;
        admin.add_user("nb-officer", "ZJ-NB", &[Role::Trainee], "Candidate-2026").await;
        admin.add_user("js-officer", "JS-NJ", &[Role::Trainee], "Candidate-2026").await;
        let csv = "用户名,队伍,队伍单位\nhz-officer,杭州市代表队,ZJ-HZ\nnb-officer\njs-officer\nnobody\nhz-officer\n";
        let res = admin
            .upload_fields("import_entrants", &[("competition", &cid.to_string())], "file", "roster.csv", csv.as_bytes(), "/admin/competitions")
            .await;
        assert_eq!(res.status, StatusCode::FOUND, "{}", res.text());
        let location = res.location().unwrap();
        assert!(location.starts_with(&format!("/admin/competitions/{cid}?report=")), "{location}");
        let report: i64 = location.split("report=").nth(1).unwrap().split('#').next().unwrap().parse().unwrap();
        let view: CompetitionAdmin = admin
            .call("get_competition_admin", &[("id", &cid.to_string()), ("report", &report.to_string())])
            .await
            .unwrap();
        let r = view.report.expect("the report survives the redirect");
        assert_eq!((r.rows, r.enrolled), (5, 2));
        let errors: Vec<(usize, &str)> = r.errors.iter().map(|e| (e.row, e.key.as_str())).collect();
        assert_eq!(
            errors,
            vec![
                (4, "competition.roster_err_scope"),
                (5, "competition.roster_err_unknown"),
                (6, "competition.roster_err_duplicate"),
            ]
        );
        let numbers: Vec<&str> = view.entrants.iter().map(|e| e.candidate_no.as_str()).collect();
        assert_eq!(numbers, vec![format!("{cid:04}-00001"), format!("{cid:04}-00002")]);
        assert_eq!(view.entrants[0].team.as_deref(), Some("杭州市代表队"));
        assert_eq!(view.teams.len(), 1);
        assert_eq!((view.teams[0].0.as_str(), view.teams[0].2), ("杭州市代表队", 1));

        // A spreadsheet works the same way; someone already entered is reported, not entered twice.
        admin.add_user("xs-officer", "ZJ-HZ-XS", &[Role::Trainee], "Candidate-2026").await;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, row) in [["username", "team"], ["xs-officer", "杭州市代表队"], ["nb-officer", ""]].iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
        let bytes = book.save_to_buffer().unwrap();
        let res = admin
            .upload_fields("import_entrants", &[("competition", &cid.to_string())], "file", "roster.xlsx", &bytes, "/admin/competitions")
            .await;
        assert_eq!(res.status, StatusCode::FOUND, "{}", res.text());
        let view: CompetitionAdmin = admin.call("get_competition_admin", &[("id", &cid.to_string())]).await.unwrap();
        assert_eq!(view.entrants.len(), 3);
        assert_eq!(view.teams[0].2, 2, "both Hangzhou officers are in the team");
        assert!(admin.audit_actions(&format!("competition:{cid}")).await.contains(&"competition_enrol".to_owned()));

        // A blueprint the bank cannot fill is refused with the reason, and saves nothing.
        let c = cid.to_string();
        let err = admin
            .call::<i64>("save_stage", &[("competition", &c), ("kind", "theory"), ("title", "太多"), ("weight", "10"), ("minutes", "10"), ("bp[kind0]", "judge"), ("bp[count0]", "200"), ("bp[points0]", "1")])
            .await
            .unwrap_err();
        assert_eq!(err, AppError::field("blueprint", "competition.err_bank_short"));

        // Another province's admin does not see the competition at all.
        let mut other = admin.new_browser();
        other.add_user("js-admin", "JS", &[Role::Admin], "Candidate-2026").await;
        other.login("js-admin", "Candidate-2026").await.unwrap();
        let err = other.call::<CompetitionAdmin>("get_competition_admin", &[("id", &c)]).await.unwrap_err();
        assert_eq!(err, AppError::NotFound);
    }

    async fn a_candidate_sits_the_paper_from_waiting_room_to_released_result(db: Db) {
        let (mut admin, cid, stage) = setup(db).await;
        let mut alice = candidate(&admin, "alice", "ZJ-HZ-XH").await;
        let mut bob = candidate(&admin, "bob", "ZJ-NB").await;
        let report = enrol(&mut admin, cid, "alice\nbob").await;
        assert_eq!(report.enrolled, 2);

        // Before the waiting room opens there is no exam to enter.
        let (res, _) = claim(&mut alice, stage).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let drawn: usize = admin.call("open_waiting_room", &[("stage", &stage.to_string())]).await.unwrap();
        assert_eq!(drawn, 2);
        let (res, exam) = claim(&mut alice, stage).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let a = exam.unwrap();
        assert_eq!(json_of(&res)["state"], "waiting");
        let (_, b) = claim(&mut bob, stage).await;
        let b = b.unwrap();
        // Papers are per candidate: same blueprint, different draws or orders.
        let (pa, pb) = (paper_of(&admin, a.sitting).await, paper_of(&admin, b.sitting).await);
        assert_eq!(pa.len(), 10);
        let kinds: Vec<&str> = pa.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(kinds, [["single"; 5].as_slice(), &["multiple"; 3], &["judge"; 2]].concat());
        assert_ne!(pa, pb, "two candidates drew the same paper in the same order");

        // Waiting: no paper, saves refused.
        assert_eq!(exam_get(&mut alice, &a, "paper").await.status, StatusCode::TOO_EARLY);
        assert_eq!(save(&mut alice, &a, json!([{ "pos": 0, "answer": "A", "seq": 1 }])).await.status, StatusCode::TOO_EARLY);

        let () = admin.call("start_stage", &[("stage", &stage.to_string())]).await.unwrap();
        let res = exam_get(&mut alice, &a, "paper").await;
        assert_eq!(res.status, StatusCode::OK);
        let paper = json_of(&res);
        let remaining = paper["remaining_ms"].as_i64().unwrap();
        assert!((29 * 60_000..=30 * 60_000).contains(&remaining), "{remaining}");
        let questions = paper["questions"].as_array().unwrap();
        assert_eq!(questions.len(), 10);
        for q in questions {
            assert!(q.get("answer").is_none() && q.get("explanation").is_none() && q.get("basis").is_none(), "{q}");
        }

        // Answers: the key for every question but the first multiple choice, which gets part of its key.
        let mut answers = Vec::new();
        for (pos, (key, kind)) in pa.iter().enumerate() {
            let right = key_of(&admin, key).await;
            let given = if pos == 5 { right[..1].to_owned() } else { right };
            assert!(kind != "multiple" || pos != 5 || given.len() < key_of(&admin, key).await.len());
            answers.push(json!({ "pos": pos, "answer": given, "seq": pos + 1 }));
        }
        let res = save(&mut alice, &a, Value::Array(answers)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(json_of(&res)["saved"], 10);
        // An answer the question cannot have is refused, and changes nothing.
        let res = save(&mut alice, &a, json!([{ "pos": 0, "answer": "Z", "seq": 99 }])).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        // An older save arriving late does not overwrite a newer one.
        let res = save(&mut alice, &a, json!([{ "pos": 9, "answer": "", "seq": 1 }])).await;
        assert_eq!(res.status, StatusCode::OK);

        // A second login takes over: the first browser is refused and told; both are logged.
        let mut alice2 = admin.new_browser();
        alice2.login("alice", "Candidate-2026").await.unwrap();
        let (_, a2) = claim(&mut alice2, stage).await;
        let a2 = a2.unwrap();
        let res = save(&mut alice, &a, json!([{ "pos": 0, "answer": "B", "seq": 100 }])).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert_eq!(json_of(&res)["error"], "taken_over");
        assert_eq!(exam_get(&mut alice, &a, "status").await.status, StatusCode::CONFLICT);
        let events: Vec<String> = sqlx::query_scalar("select kind from exam_event where sitting_id = $1 order by event_id")
            .bind(a.sitting)
            .fetch_all(&admin.state.pool)
            .await
            .unwrap();
        assert_eq!(events, vec!["session", "takeover"]);
        // The new session resumes with every saved answer and the same clock.
        let paper = json_of(&exam_get(&mut alice2, &a2, "paper").await);
        assert_eq!(paper["answers"].as_object().unwrap().len(), 10);
        assert!(paper["remaining_ms"].as_i64().unwrap() <= remaining);

        let res = submit(&mut alice2, &a2).await;
        assert_eq!(res.status, StatusCode::OK);
        // A submitted paper never changes.
        let res = save(&mut alice2, &a2, json!([{ "pos": 0, "answer": "C", "seq": 200 }])).await;
        assert_eq!(res.status, StatusCode::GONE);
        assert_eq!(submit(&mut alice2, &a2).await.status, StatusCode::GONE);
        let (score, max): (Option<i64>, i64) = sqlx::query_as("select score, max_score from exam_sitting where sitting_id = $1")
            .bind(a.sitting)
            .fetch_one(&admin.state.pool)
            .await
            .unwrap();
        // Full marks 5×2 + 3×2 + 2×1 = 18; the partial multiple choice earns half of its 2 points.
        assert_eq!((score, max), (Some(1700), 1800));

        // The result stays hidden until released, and release waits for the stage to close.
        let mine: Vec<MyCompetition> = alice2.call("my_competitions", &[]).await.unwrap();
        assert!(mine[0].stages[0].submitted && mine[0].stages[0].score.is_none());
        let err = admin.call::<()>("release_results", &[("stage", &stage.to_string()), ("release", "true")]).await.unwrap_err();
        assert_eq!(err, AppError::field("stage", "competition.err_not_closed"));

        // Bob never hands in: at the deadline the server does, with what he saved.
        let res = save(&mut bob, &b, json!([{ "pos": 9, "answer": "T", "seq": 1 }])).await;
        assert_eq!(res.status, StatusCode::OK);
        expire(&admin, stage).await;
        let res = save(&mut bob, &b, json!([{ "pos": 8, "answer": "T", "seq": 2 }])).await;
        assert_eq!(res.status, StatusCode::GONE, "a save after the deadline is refused");
        assert_eq!(sweep(&admin).await, 1);
        let (kind, answers): (Option<String>, i64) = sqlx::query_as(
            "select s.submit_kind, cast((select count(*) from exam_answer a where a.sitting_id = s.sitting_id) as bigint) from exam_sitting s where s.sitting_id = $1",
        )
        .bind(b.sitting)
        .fetch_one(&admin.state.pool)
        .await
        .unwrap();
        assert_eq!((kind.as_deref(), answers), (Some("auto"), 1));
        let status: String = sqlx::query_scalar("select status from stage where stage_id = $1").bind(stage).fetch_one(&admin.state.pool).await.unwrap();
        assert_eq!(status, "closed");

        let () = admin.call("release_results", &[("stage", &stage.to_string()), ("release", "true")]).await.unwrap();
        let mine: Vec<MyCompetition> = alice2.call("my_competitions", &[]).await.unwrap();
        assert_eq!(mine[0].stages[0].score, Some((1700, 1800)));
        let actions = admin.audit_actions(&format!("stage:{stage}")).await;
        for a in ["competition_stage", "competition_waiting_room", "competition_start", "competition_release"] {
            assert!(actions.contains(&a.to_owned()), "{a} missing from {actions:?}");
        }
    }

    async fn nothing_a_candidate_receives_holds_a_key_or_another_candidates_data(db: Db) {
        let (mut admin, cid, stage) = setup(db).await;
        let mut alice = candidate(&admin, "alice", "ZJ-HZ-XH").await;
        let _bob = candidate(&admin, "bob", "ZJ-NB").await;
        enrol(&mut admin, cid, "alice\nbob").await;
        let _: usize = admin.call("open_waiting_room", &[("stage", &stage.to_string())]).await.unwrap();
        let mut bodies: Vec<(String, String)> = Vec::new();
        let page = alice.get(&format!("/exam/{stage}")).await;
        assert_eq!(page.status, StatusCode::OK);
        bodies.push(("waiting page".into(), page.text()));
        let () = admin.call("start_stage", &[("stage", &stage.to_string())]).await.unwrap();
        let page = alice.get(&format!("/exam/{stage}")).await;
        assert!(page.text().contains("exam-form"), "{}", page.text());
        bodies.push(("paper page".into(), page.text()));
        let (res, a) = claim(&mut alice, stage).await;
        bodies.push(("claim".into(), res.text()));
        let a = a.unwrap();
        bodies.push(("paper".into(), exam_get(&mut alice, &a, "paper").await.text()));
        bodies.push(("status".into(), exam_get(&mut alice, &a, "status").await.text()));
        bodies.push(("stage".into(), alice.get(&format!("/exam/api/stage/{stage}")).await.text()));
        bodies.push(("mine".into(), alice.post("my_competitions", &[], "application/json").await.text()));
        bodies.push(("list page".into(), alice.get("/competitions").await.text()));
        // Admin functions refuse a candidate.
        for (endpoint, field, id) in [("get_competition_admin", "id", cid), ("stage_stats", "stage", stage)] {
            let res = alice.post(endpoint, &[(field, &id.to_string())], "application/json").await;
            assert_eq!(res.server_result::<Value>().unwrap_err(), AppError::Forbidden, "{endpoint}");
            bodies.push((endpoint.into(), res.text()));
        }
        // What must not appear: any explanation of a question on the paper, the paper's key as stored,
        // and the other candidate's number and name.
        let paper: String = sqlx::query_scalar("select paper from exam_sitting where sitting_id = $1").bind(a.sitting).fetch_one(&admin.state.pool).await.unwrap();
        let items: Vec<Value> = serde_json::from_str(&paper).unwrap();
        let mut secrets: Vec<String> = vec![format!("{cid:04}-00002"), "\"answer\":[".into(), "explanation".into()];
        for item in &items {
            let body: String = sqlx::query_scalar("select body from content_version where version_id = $1")
                .bind(item["v"].as_i64().unwrap())
                .fetch_one(&admin.state.pool)
                .await
                .unwrap();
            let q: Value = serde_json::from_str(&body).unwrap();
            let explanation: String = q["explanation"].as_str().unwrap().chars().take(24).collect();
            secrets.push(explanation);
        }
        for (what, body) in &bodies {
            for secret in &secrets {
                assert!(!body.contains(secret.as_str()), "{what} holds {secret:?}");
            }
        }
    }

    async fn extra_time_moves_one_deadline_and_is_audited(db: Db) {
        let (mut admin, cid, stage) = setup(db).await;
        let mut alice = candidate(&admin, "alice", "ZJ-HZ-XH").await;
        enrol(&mut admin, cid, "alice").await;
        let _: usize = admin.call("open_waiting_room", &[("stage", &stage.to_string())]).await.unwrap();
        let (_, a) = claim(&mut alice, stage).await;
        let a = a.unwrap();
        let () = admin.call("start_stage", &[("stage", &stage.to_string())]).await.unwrap();
        let before = json_of(&exam_get(&mut alice, &a, "status").await)["remaining_ms"].as_i64().unwrap();
        let no = format!("{cid:04}-00001");
        let err = admin
            .call::<()>("grant_extra_time", &[("stage", &stage.to_string()), ("candidate", &no), ("minutes", "10"), ("reason", " ")])
            .await
            .unwrap_err();
        assert_eq!(err, AppError::field("reason", "competition.err_reason"));
        let () = admin
            .call("grant_extra_time", &[("stage", &stage.to_string()), ("candidate", &no), ("minutes", "10"), ("reason", "平板电脑故障，更换设备")])
            .await
            .unwrap();
        let after = json_of(&exam_get(&mut alice, &a, "status").await)["remaining_ms"].as_i64().unwrap();
        assert!((after - before - 600_000).abs() <= 2_000, "{before} → {after}");
        let detail: String = sqlx::query_scalar("select detail from audit_event where action = 'competition_extra_time'")
            .fetch_one(&admin.state.pool)
            .await
            .unwrap();
        assert!(detail.contains(&no) && detail.contains("平板电脑故障"), "{detail}");
        let err = admin
            .call::<()>("grant_extra_time", &[("stage", &stage.to_string()), ("candidate", "9999-99999"), ("minutes", "5"), ("reason", "x")])
            .await
            .unwrap_err();
        assert_eq!(err, AppError::field("candidate", "competition.err_candidate"));
    }

    async fn a_voided_question_regrades_everyone_and_statistics_follow_the_answers(db: Db) {
        let (mut admin, cid, stage) = setup(db).await;
        let mut names = Vec::new();
        let mut exams = Vec::new();
        for i in 0..4 {
            let name = format!("cand{i}");
            exams.push(candidate(&admin, &name, "ZJ-HZ-XH").await);
            names.push(name);
        }
        enrol(&mut admin, cid, &names.join("\n")).await;
        let _: usize = admin.call("open_waiting_room", &[("stage", &stage.to_string())]).await.unwrap();
        let () = admin.call("start_stage", &[("stage", &stage.to_string())]).await.unwrap();
        let mut first_question = None;
        for (i, b) in exams.iter_mut().enumerate() {
            let (_, e) = claim(b, stage).await;
            let e = e.unwrap();
            let paper = paper_of(&admin, e.sitting).await;
            // Everyone answers every question right, except that candidates 0 and 1 miss their first one.
            let mut answers = Vec::new();
            for (pos, (key, kind)) in paper.iter().enumerate() {
                let right = key_of(&admin, key).await;
                let given = if pos == 0 && i < 2 {
                    if kind == "judge" { if right == "T" { "F".to_owned() } else { "T".to_owned() } } else if right == "A" { "B".to_owned() } else { "A".to_owned() }
                } else {
                    right
                };
                answers.push(json!({ "pos": pos, "answer": given, "seq": 1 }));
            }
            if i == 0 {
                first_question = Some(paper[0].0.clone());
            }
            assert_eq!(save(b, &e, Value::Array(answers)).await.status, StatusCode::OK);
            assert_eq!(submit(b, &e).await.status, StatusCode::OK);
        }
        sweep(&admin).await;
        expire(&admin, stage).await;
        sweep(&admin).await;
        let stats: StageStatsView = admin.call("stage_stats", &[("stage", &stage.to_string())]).await.unwrap();
        assert!(stats.closed);
        assert_eq!(stats.submitted, 4);
        let q0 = first_question.unwrap();
        let s0 = stats.questions.iter().find(|q| q.key == q0).unwrap();
        assert!(s0.stats.facility < 1.0, "{s0:?}");
        let total_chosen: usize = s0.stats.option_counts.iter().map(|(_, n)| n).sum();
        assert!(total_chosen >= s0.stats.candidates, "{s0:?}");
        let scores_before: Vec<(i64, i64)> = sqlx::query_as("select score, max_score from exam_sitting where stage_id = $1 order by sitting_id")
            .bind(stage)
            .fetch_all(&admin.state.pool)
            .await
            .unwrap();
        let n: usize = admin
            .call("void_question", &[("stage", &stage.to_string()), ("question", &q0), ("reason", "题干表述有歧义")])
            .await
            .unwrap();
        assert_eq!(n, 4);
        let scores_after: Vec<(i64, i64)> = sqlx::query_as("select score, max_score from exam_sitting where stage_id = $1 order by sitting_id")
            .bind(stage)
            .fetch_all(&admin.state.pool)
            .await
            .unwrap();
        // Every paper that held the question loses its points from full marks; candidate 0 missed it and now
        // has full marks on the rest.
        assert!(scores_after[0].1 < scores_before[0].1);
        assert_eq!(scores_after[0].0, scores_after[0].1);
        let stats: StageStatsView = admin.call("stage_stats", &[("stage", &stage.to_string())]).await.unwrap();
        assert!(stats.questions.iter().find(|q| q.key == q0).unwrap().voided);
        assert!(admin.audit_actions(&format!("stage:{stage}")).await.contains(&"competition_void".to_owned()));
    }

    async fn the_practical_stage_is_a_timed_scenario_attempt_closed_by_the_clock(db: Db) {
        let mut admin = TestApp::new(db).await;
        admin.import_fixture_content().await;
        admin.login_demo("admin").await;
        let cid: i64 = admin.call("create_competition", &[("name", "实操比武"), ("level", "city"), ("unit", "ZJ")]).await.unwrap();
        let c = cid.to_string();
        let stage: i64 = admin
            .call("save_stage", &[("competition", &c), ("kind", "scenario"), ("title", "情景实操"), ("weight", "40"), ("minutes", "20"), ("scenario", "mini-scenario")])
            .await
            .unwrap();
        let () = admin.call("advance_competition", &[("id", &c), ("to", "open")]).await.unwrap();
        let mut alice = candidate(&admin, "alice", "ZJ-HZ-XH").await;
        enrol(&mut admin, cid, "alice").await;
        let err = alice.call::<i64>("enter_practical", &[("stage", &stage.to_string())]).await.unwrap_err();
        assert_eq!(err, AppError::field("stage", "competition.err_not_running"));
        let _: usize = admin.call("open_waiting_room", &[("stage", &stage.to_string())]).await.unwrap();
        let () = admin.call("start_stage", &[("stage", &stage.to_string())]).await.unwrap();
        let attempt: i64 = alice.call("enter_practical", &[("stage", &stage.to_string())]).await.unwrap();
        // Entering again resumes the same attempt.
        let again: i64 = alice.call("enter_practical", &[("stage", &stage.to_string())]).await.unwrap();
        assert_eq!(attempt, again);
        let (mode, stage_of, deadline): (String, Option<i64>, Option<i64>) =
            sqlx::query_as("select mode, stage_id, deadline_at from scenario_attempt where attempt_id = $1")
                .bind(attempt)
                .fetch_one(&admin.state.pool)
                .await
                .unwrap();
        assert_eq!((mode.as_str(), stage_of), ("exam", Some(stage)));
        let left = deadline.unwrap() - app::server::db::now();
        assert!((1190..=1200).contains(&left), "{left}");
        // The competition attempt is not in the practice history.
        let catalogue = alice.post("scenario_catalogue", &[], "application/json").await.text();
        assert!(!catalogue.contains(&format!("\"attempt\":{attempt}")), "{catalogue}");

        sqlx::query("update scenario_attempt set deadline_at = $1 where attempt_id = $2")
            .bind(app::server::db::now() - 30)
            .bind(attempt)
            .execute(&admin.state.pool)
            .await
            .unwrap();
        expire(&admin, stage).await;
        assert_eq!(sweep(&admin).await, 1);
        let status: String = sqlx::query_scalar("select status from scenario_attempt where attempt_id = $1").bind(attempt).fetch_one(&admin.state.pool).await.unwrap();
        assert_eq!(status, "finished");
        let view: app::scenario::PlayView = alice.call("get_attempt", &[("id", &attempt.to_string())]).await.unwrap();
        assert!(view.withheld && view.debrief.is_none() && view.running_score.is_none());
        let () = admin.call("release_results", &[("stage", &stage.to_string()), ("release", "true")]).await.unwrap();
        let view: app::scenario::PlayView = alice.call("get_attempt", &[("id", &attempt.to_string())]).await.unwrap();
        assert!(!view.withheld && view.debrief.is_some());
    }
}

mod more {
    use super::*;

    on_both! {
        async fn without_javascript_the_paper_is_a_form_that_saves_and_hands_in(db: Db) {
            let (mut admin, cid, stage) = setup(db).await;
            let mut alice = candidate(&admin, "alice", "ZJ-HZ-XH").await;
            enrol(&mut admin, cid, "alice").await;
            let _: usize = admin.call("open_waiting_room", &[("stage", &stage.to_string())]).await.unwrap();
            let () = admin.call("start_stage", &[("stage", &stage.to_string())]).await.unwrap();
            let page = alice.get(&format!("/exam/{stage}")).await.text();
            let token = page.split("name=\"token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
            let sitting: i64 = sqlx::query_scalar("select sitting_id from exam_sitting where stage_id = $1").bind(stage).fetch_one(&admin.state.pool).await.unwrap();
            let paper = paper_of(&admin, sitting).await;
            let multiple = paper.iter().position(|(_, k)| k == "multiple").unwrap();
            let key = key_of(&admin, &paper[multiple].0).await;
            // A multiple choice arrives as one field per ticked box.
            let mut form: Vec<(String, String)> = vec![("token".into(), token.clone()), ("seq".into(), "1".into()), ("action".into(), "save".into())];
            for letter in key.chars() {
                form.push((format!("a{multiple}"), letter.to_string()));
            }
            form.push(("a0".into(), "B".into()));
            let post = |form: &Vec<(String, String)>| {
                let body: String = form.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
                Request::post(format!("/exam/{stage}"))
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ORIGIN, "http://lianbing.test")
                    .body(Body::from(body))
                    .unwrap()
            };
            let res = alice.send(post(&form)).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
            assert_eq!(res.location().as_deref(), Some(format!("/exam/{stage}?m=saved").as_str()));
            let saved: Vec<(i64, String)> = sqlx::query_as("select position, answer from exam_answer where sitting_id = $1 order by position")
                .bind(sitting)
                .fetch_all(&admin.state.pool)
                .await
                .unwrap();
            assert_eq!(saved, vec![(0, "B".to_owned()), (multiple as i64, key.clone())]);
            // The page shows them ticked after the redirect.
            let page = alice.get(&format!("/exam/{stage}?m=saved")).await.text();
            assert!(page.contains("alert-ok"), "{page}");
            // Reloading in the same browser keeps the exam: the same token, no takeover logged.
            let again = page.split("name=\"token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
            assert_eq!(again, token);
            // Opening it in another browser takes it over: this page's token is refused, and says why.
            let mut elsewhere = admin.new_browser();
            elsewhere.login("alice", "Candidate-2026").await.unwrap();
            let other = elsewhere.get(&format!("/exam/{stage}")).await.text();
            let res = alice.send(post(&form)).await;
            assert_eq!(res.status, StatusCode::CONFLICT);
            assert!(res.text().contains("另一处"), "{}", res.text());
            let events: Vec<String> = sqlx::query_scalar("select kind from exam_event where sitting_id = $1 order by event_id")
                .bind(sitting)
                .fetch_all(&admin.state.pool)
                .await
                .unwrap();
            assert_eq!(events, vec!["session", "takeover"]);
            form[0].1 = other.split("name=\"token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
            form[2].1 = "submit".into();
            let mut alice = elsewhere;
            let res = alice.send(post(&form)).await;
            assert_eq!(res.location().as_deref(), Some(format!("/exam/{stage}?m=submitted").as_str()));
            let page = alice.get(&format!("/exam/{stage}")).await.text();
            assert!(page.contains("exam-done"), "{page}");
            // An admin ends the stage early; nothing is left open and the stage is closed.
            let n: usize = admin.call("close_stage", &[("stage", &stage.to_string())]).await.unwrap();
            assert_eq!(n, 0);
            let status: String = sqlx::query_scalar("select status from stage where stage_id = $1").bind(stage).fetch_one(&admin.state.pool).await.unwrap();
            assert_eq!(status, "closed");
        }

        async fn a_stage_with_a_planned_start_begins_by_itself_at_that_instant(db: Db) {
            let (mut admin, cid, stage) = setup(db).await;
            let mut alice = candidate(&admin, "alice", "ZJ-HZ-XH").await;
            enrol(&mut admin, cid, "alice").await;
            let _: usize = admin.call("open_waiting_room", &[("stage", &stage.to_string())]).await.unwrap();
            let (_, a) = claim(&mut alice, stage).await;
            let a = a.unwrap();
            let planned = app::server::db::now() + 3600;
            sqlx::query("update stage set starts_at = $1 where stage_id = $2").bind(planned).bind(stage).execute(&admin.state.pool).await.unwrap();
            sweep(&admin).await;
            assert_eq!(exam_get(&mut alice, &a, "paper").await.status, StatusCode::TOO_EARLY, "not before its time");
            let planned = app::server::db::now() - 5;
            sqlx::query("update stage set starts_at = $1 where stage_id = $2").bind(planned).bind(stage).execute(&admin.state.pool).await.unwrap();
            sweep(&admin).await;
            let (status, started): (String, Option<i64>) = sqlx::query_as("select status, started_at from stage where stage_id = $1")
                .bind(stage)
                .fetch_one(&admin.state.pool)
                .await
                .unwrap();
            assert_eq!((status.as_str(), started), ("running", Some(planned)));
            let res = exam_get(&mut alice, &a, "paper").await;
            assert_eq!(res.status, StatusCode::OK);
            let p = json_of(&res);
            let deadline = p["server_now"].as_i64().unwrap() + p["remaining_ms"].as_i64().unwrap() / 1000;
            assert!((deadline - (planned + 30 * 60)).abs() <= 1, "the clock runs from the planned start");
            let competition: String = sqlx::query_scalar("select status from competition where competition_id = $1").bind(cid).fetch_one(&admin.state.pool).await.unwrap();
            assert_eq!(competition, "running");
        }
    }

    fn urlencode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
}
