//! Examiner grading and results over HTTP: the conflict rule in assignment, blind marking sheets, criteria
//! validated and locked, divergence to the chief's arbitration, the chief's reasoned change, the hash-chained log
//! that detects an edited entry, results with awards, the 公示 page, an appeal, the final lock and a certificate
//! that verifies.

use app::competition::standings::{PublicResultsView, ResultsAdminView};
use app::domain::Role;
use app::error::AppError;
use app::grading::{ChiefBoard, QueueView, SheetView};
use app::study::CertificateView;
use lianbing_tests::{Db, TestApp, on_both};

const PASS: &str = "Examiner-2026";

struct Setup {
    admin: TestApp,
    cid: i64,
    stage: i64,
}

/// A provincial competition with one on-site stage marked on a three-line custom rubric by three examiners from
/// other provinces and a chief, and candidates from two Zhejiang cities.
async fn setup(db: Db, candidates: &[(&str, &str)]) -> Setup {
    let mut admin = TestApp::new(db).await;
    admin.import_fixture_content().await;
    admin.login_demo("admin").await;
    let cid: i64 = admin
        .call(
            "create_competition",
            &[
                ("name", "现场实操比武"),
                ("level", "provincial"),
                ("unit", "ZJ"),
            ],
        )
        .await
        .unwrap();
    let c = cid.to_string();
    let stage: i64 = admin
        .call(
            "save_stage",
            &[
                ("competition", &c),
                ("kind", "onsite"),
                ("title", "现场实操"),
                ("weight", "100"),
                ("minutes", "60"),
            ],
        )
        .await
        .unwrap();
    let () = admin
        .call("advance_competition", &[("id", &c), ("to", "open")])
        .await
        .unwrap();
    for (name, unit) in candidates {
        admin.add_user(name, unit, &[Role::Trainee], PASS).await;
    }
    let lines: Vec<&str> = candidates.iter().map(|(n, _)| *n).collect();
    let report: app::competition::RosterReport = admin
        .call(
            "enrol_candidates",
            &[("competition", &c), ("lines", &lines.join("\n"))],
        )
        .await
        .unwrap();
    assert_eq!(report.enrolled, candidates.len(), "{report:?}");
    let s = stage.to_string();
    let () = admin
        .call(
            "configure_marking",
            &[
                ("stage", &s),
                ("rubric", "custom"),
                ("k", "3"),
                ("aggregation", "mean"),
                ("divergence", "10"),
                ("crit[title0]", "进场程序"),
                ("crit[max0]", "30"),
                ("crit[mode0]", "levels"),
                ("crit[title1]", "问题发现"),
                ("crit[max1]", "40"),
                ("crit[mode1]", "points"),
                ("crit[title2]", "法律适用"),
                ("crit[max2]", "30"),
                ("crit[mode2]", "points"),
            ],
        )
        .await
        .unwrap();
    Setup { admin, cid, stage }
}

async fn examiner(admin: &TestApp, name: &str, unit: &str) -> TestApp {
    admin.add_user(name, unit, &[Role::Examiner], PASS).await;
    let mut b = admin.new_browser();
    b.login(name, PASS).await.unwrap();
    b
}

async fn mark(b: &mut TestApp, sub: i64, values: [&str; 3]) -> Result<Option<i64>, AppError> {
    let s = sub.to_string();
    b.call(
        "save_sheet",
        &[
            ("submission", &s),
            ("v[c1]", values[0]),
            ("v[c2]", values[1]),
            ("v[c3]", values[2]),
            ("lock", "1"),
        ],
    )
    .await
}

on_both! {
    async fn examiners_never_mark_their_own_unit_a_unit_above_or_below_or_a_teammate(db: Db) {
        let mut s = setup(db, &[("cand-xh", "ZJ-HZ-XH"), ("cand-nb", "ZJ-NB")]).await;
        // ZJ-HZ is above 西湖 (XH); ZJ-HZ-XS is a sibling; JS-NJ and HB-TS are other provinces; ZJ is above everyone.
        for (name, unit) in [("ex-hz", "ZJ-HZ"), ("ex-xs", "ZJ-HZ-XS"), ("ex-nj", "JS-NJ"), ("ex-ts", "HB-TS"), ("ex-zj", "ZJ")] {
            s.admin.add_user(name, unit, &[Role::Examiner], PASS).await;
        }
        s.admin.add_user("chief-x", "MEE", &[Role::Examiner], PASS).await;
        let st = s.stage.to_string();
        // With the provincial examiner in the panel nobody can be marked by three eligible examiners... only 3 of 5 are
        // eligible for 西湖 (XS, NJ, TS) and 4 for 宁波 (HZ, XS, NJ, TS).
        let _: usize = s.admin.call("set_panel", &[("stage", &st), ("examiners", "ex-hz\nex-xs\nex-nj\nex-ts\nex-zj"), ("chief", "chief-x")]).await.unwrap();
        let n: usize = s.admin.call("assign_marking", &[("stage", &st)]).await.unwrap();
        assert_eq!(n, 2);
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "select cu.path, xu.path, x.username from assignment a join submission s on s.submission_id = a.submission_id \
             join entrant e on e.entrant_id = s.entrant_id join unit cu on cu.unit_id = e.unit_id \
             join app_user x on x.user_id = a.examiner_id join unit xu on xu.unit_id = x.unit_id",
        )
        .fetch_all(&s.admin.state.pool)
        .await
        .unwrap();
        assert_eq!(rows.len(), 6);
        for (cand, ex, name) in &rows {
            assert!(!cand.starts_with(ex.as_str()) && !ex.starts_with(cand.as_str()), "{name} marks a candidate of {cand}");
            assert_ne!(name, "chief-x", "the chief arbitrates, and is not assigned");
        }
        // A panel too small under the rule is refused, naming why.
        let mut t = setup(db, &[("cand2-xh", "ZJ-HZ-XH")]).await;
        let st = t.stage.to_string();
        for (name, unit) in [("ex2-hz", "ZJ-HZ"), ("ex2-xs", "ZJ-HZ-XS"), ("ex2-nj", "JS-NJ")] {
            t.admin.add_user(name, unit, &[Role::Examiner], PASS).await;
        }
        t.admin.add_user("chief2-x", "MEE", &[Role::Examiner], PASS).await;
        let _: usize = t.admin.call("set_panel", &[("stage", &st), ("examiners", "ex2-hz ex2-xs ex2-nj"), ("chief", "chief2-x")]).await.unwrap();
        let err = t.admin.call::<usize>("assign_marking", &[("stage", &st)]).await.unwrap_err();
        assert_eq!(err, AppError::field("panel", "grading.err_panel_too_small"));
        let _ = &mut t;
        // A panel member without the examiner role is refused.
        let err = t.admin.call::<usize>("set_panel", &[("stage", &st), ("examiners", "trainee"), ("chief", "chief2-x")]).await.unwrap_err();
        assert_eq!(err.message_key(), "grading.err_not_examiner");
    }

    async fn marking_is_blind_locked_arbitrated_and_every_change_is_chained(db: Db) {
        let mut s = setup(db, &[("alice", "ZJ-HZ-XH")]).await;
        let mut e1 = examiner(&s.admin, "ex-a", "JS-NJ").await;
        let mut e2 = examiner(&s.admin, "ex-b", "HB-TS").await;
        let mut e3 = examiner(&s.admin, "ex-c", "JS").await;
        let mut chief = examiner(&s.admin, "chief-x", "MEE").await;
        let st = s.stage.to_string();
        let _: usize = s.admin.call("set_panel", &[("stage", &st), ("examiners", "ex-a\nex-b\nex-c"), ("chief", "chief-x")]).await.unwrap();
        let _: usize = s.admin.call("assign_marking", &[("stage", &st)]).await.unwrap();

        let queue: QueueView = e1.call("marking_queue", &[]).await.unwrap();
        assert_eq!(queue.items.len(), 1);
        let sub = queue.items[0].submission;
        let code = queue.items[0].code.clone();
        assert_eq!(code.len(), 6);
        // Blind: nothing an examiner receives names the candidate.
        let raw = e1.post("marking_sheet", &[("submission", &sub.to_string())], "application/json").await.text();
        for secret in ["alice", &format!("{:04}-00001", s.cid), "西湖"] {
            assert!(!raw.contains(secret), "the marking sheet holds {secret}: {raw}");
        }
        let queue_raw = e1.post("marking_queue", &[], "application/json").await.text();
        assert!(!queue_raw.contains("alice"));
        // Someone not assigned sees nothing.
        let err = chief.call::<SheetView>("marking_sheet", &[("submission", &sub.to_string())]).await.unwrap_err();
        assert_eq!(err, AppError::NotFound);

        // Each criterion saves as entered and is validated: a level is 0–3, points 0..max.
        let sv = sub.to_string();
        let p: i64 = e1.call("save_criterion", &[("submission", &sv), ("criterion", "c1"), ("value", "3")]).await.unwrap();
        assert_eq!(p, 3000);
        for (criterion, bad) in [("c1", "4"), ("c2", "41"), ("c2", "-1"), ("c3", "abc"), ("c2", "10.3")] {
            let err = e1.call::<i64>("save_criterion", &[("submission", &sv), ("criterion", criterion), ("value", bad)]).await.unwrap_err();
            assert_eq!(err.message_key(), "grading.err_points", "{criterion}={bad}");
        }
        let err = e1.call::<Option<i64>>("save_sheet", &[("submission", &sv), ("lock", "1")]).await.unwrap_err();
        assert_eq!(err.message_key(), "grading.err_incomplete");
        // Examiner 1: 30 + 35 + 25 = 90; examiner 2: 20 + 30 + 20 = 70; examiner 3: 30 + 32 + 26 = 88.
        assert_eq!(mark(&mut e1, sub, ["3", "35", "25"]).await.unwrap(), Some(9000));
        let err = e1.call::<i64>("save_criterion", &[("submission", &sv), ("criterion", "c2"), ("value", "40")]).await.unwrap_err();
        assert_eq!(err.message_key(), "grading.err_locked");
        assert_eq!(mark(&mut e2, sub, ["2", "30", "20"]).await.unwrap(), Some(7000));
        assert_eq!(mark(&mut e3, sub, ["3", "32", "26"]).await.unwrap(), Some(8800));

        // 90 and 70 differ by 20 > 10: the chief arbitrates.
        let view: ChiefBoard = chief.call("chief_view", &[("stage", &st)]).await.unwrap();
        assert_eq!(view.rows[0].status, "divergent");
        assert_eq!(view.rows[0].score, None);
        assert_eq!(view.examiners.len(), 3);
        let harsh = view.examiners.iter().find(|(n, _)| n == "ex-b").unwrap();
        assert!(harsh.1.severity < -15.0, "{harsh:?}");
        let err = e1.call::<ChiefBoard>("chief_view", &[("stage", &st)]).await.unwrap_err();
        assert_eq!(err, AppError::NotFound);
        // The chief corrects examiner 2's level with a reason: 20 → 30 makes 80, still 10 apart from 90 — within.
        let ex_b = s.admin.user_id("ex-b").await;
        let err = chief.call::<()>("chief_change_mark", &[("submission", &sv), ("examiner", &ex_b.to_string()), ("criterion", "c1"), ("value", "3"), ("reason", " ")]).await.unwrap_err();
        assert_eq!(err.message_key(), "grading.err_reason");
        let () = chief.call("chief_change_mark", &[("submission", &sv), ("examiner", &ex_b.to_string()), ("criterion", "c1"), ("value", "3"), ("reason", "录像显示已两人亮证进场")]).await.unwrap();
        let view: ChiefBoard = chief.call("chief_view", &[("stage", &st)]).await.unwrap();
        assert_eq!(view.rows[0].status, "final");
        // Mean of 90, 80 and 88.
        assert_eq!(view.rows[0].score, Some(8600));
        // Arbitration still stands above the aggregate when the chief sets a score.
        let () = chief.call("arbitrate", &[("submission", &sv), ("score", "87"), ("reason", "复核录像后定分")]).await.unwrap();
        let view: ChiefBoard = chief.call("chief_view", &[("stage", &st)]).await.unwrap();
        assert_eq!((view.rows[0].score, view.rows[0].arbitrated), (Some(8700), true));

        // The log holds every mark, lock, change and arbitration, chained; editing one entry is detected there.
        let kinds: Vec<String> = sqlx::query_scalar("select kind from mark_log order by log_id").fetch_all(&s.admin.state.pool).await.unwrap();
        for k in ["assign", "mark", "lock", "change", "arbitrate"] {
            assert!(kinds.contains(&k.to_owned()), "{k} not logged: {kinds:?}");
        }
        let mut conn = s.admin.state.pool.acquire().await.unwrap();
        let verdict = app::grading::chain::verify(&mut conn).await.unwrap();
        assert_eq!(verdict.broken_at, None);
        assert_eq!(verdict.entries as usize, kinds.len());
        let target: i64 = sqlx::query_scalar("select log_id from mark_log where kind = 'lock' order by log_id limit 1").fetch_one(&mut *conn).await.unwrap();
        sqlx::query("update mark_log set points = points + 100 where log_id = $1").bind(target).execute(&mut *conn).await.unwrap();
        let verdict = app::grading::chain::verify(&mut conn).await.unwrap();
        assert_eq!(verdict.broken_at, Some(target));
        // Removing the newest entry is detected too (the head no longer matches).
        sqlx::query("update mark_log set points = points - 100 where log_id = $1").bind(target).execute(&mut *conn).await.unwrap();
        assert_eq!(app::grading::chain::verify(&mut conn).await.unwrap().broken_at, None);
        sqlx::query("delete from mark_log where log_id = (select max(log_id) from mark_log)").execute(&mut *conn).await.unwrap();
        assert!(app::grading::chain::verify(&mut conn).await.unwrap().broken_at.is_some());
        let _ = &mut s;
    }

    async fn results_are_published_appealed_locked_and_certified(db: Db) {
        let names = [("c-one", "ZJ-HZ-XH"), ("c-two", "ZJ-HZ-XS"), ("c-three", "ZJ-NB"), ("c-four", "ZJ-NB")];
        let mut s = setup(db, &names).await;
        let mut exs = Vec::new();
        for (n, u) in [("ex-a", "JS-NJ"), ("ex-b", "HB-TS"), ("ex-c", "JS")] {
            exs.push(examiner(&s.admin, n, u).await);
        }
        let mut chief = examiner(&s.admin, "chief-x", "MEE").await;
        let st = s.stage.to_string();
        let c = s.cid.to_string();
        let _: usize = s.admin.call("set_panel", &[("stage", &st), ("examiners", "ex-a ex-b ex-c"), ("chief", "chief-x")]).await.unwrap();
        let _: usize = s.admin.call("assign_marking", &[("stage", &st)]).await.unwrap();
        // Everyone marks alike; c-one 90, c-two 80, c-three 80, c-four 60. c-two and c-three tie.
        let scores: std::collections::HashMap<&str, [&str; 3]> =
            [("c-one", ["3", "35", "25"]), ("c-two", ["3", "30", "20"]), ("c-three", ["3", "30", "20"]), ("c-four", ["2", "20", "20"])].into_iter().collect();
        for e in exs.iter_mut() {
            let q: QueueView = e.call("marking_queue", &[]).await.unwrap();
            for item in q.items {
                let entrant: String = sqlx::query_scalar(
                    "select u.username from submission s join entrant e on e.entrant_id = s.entrant_id join app_user u on u.user_id = e.user_id where s.submission_id = $1",
                )
                .bind(item.submission)
                .fetch_one(&s.admin.state.pool)
                .await
                .unwrap();
                mark(e, item.submission, scores[entrant.as_str()]).await.unwrap();
            }
        }
        let () = s.admin
            .call("save_result_rules", &[("id", &c), ("tie1", "time"), ("champions", "top"), ("champions_n", "1"), ("first", "25"), ("second", "50"), ("third", "0"), ("team_best_of", "3"), ("org_awards", "1")])
            .await
            .unwrap();
        let view: ResultsAdminView = s.admin.call("results_admin", &[("id", &c)]).await.unwrap();
        assert!(view.results.pending.is_empty(), "{:?}", view.results.pending);
        let ranks: Vec<(String, usize, i64)> = view.results.rows.iter().map(|r| (r.name.clone(), r.rank, r.total)).collect();
        assert_eq!(ranks, vec![("c-one".into(), 1, 9000), ("c-two".into(), 2, 8000), ("c-three".into(), 2, 8000), ("c-four".into(), 4, 6000)]);
        assert!(view.results.rows[0].champion && !view.results.rows[1].champion);
        // The tie at rank 2 is not split: both get the second prize.
        use app::grading::rules::Award;
        let awards: Vec<Option<Award>> = view.results.rows.iter().map(|r| r.award).collect();
        assert_eq!(awards, vec![Some(Award::First), Some(Award::Second), Some(Award::Second), None]);
        assert_eq!(view.results.units.len(), 2, "杭州 and 宁波");

        // Nothing public before publication.
        let mut anon = s.admin.new_browser();
        assert_eq!(anon.call::<PublicResultsView>("public_results", &[("id", &c)]).await.unwrap_err(), AppError::NotFound);
        let () = s.admin.call("publish_results", &[("id", &c), ("days", "5")]).await.unwrap();
        let public: PublicResultsView = anon.call("public_results", &[("id", &c)]).await.unwrap();
        assert_eq!(public.results.rows[0].name, "c-one");
        assert!(public.results.rows[0].champion);
        let page = anon.get(&format!("/results/{c}")).await.text();
        assert!(page.contains("c-one") && page.contains("执法能手"), "{page}");

        // c-four appeals; the chief upholds it with a new score, audited in the chain; the table follows.
        let mut four = s.admin.new_browser();
        four.login("c-four", PASS).await.unwrap();
        let err = four.call::<()>("file_appeal", &[("competition", &c), ("stage", &st), ("reason", "短")]).await.unwrap_err();
        assert_eq!(err.message_key(), "results.err_appeal_reason");
        let () = four.call("file_appeal", &[("competition", &c), ("stage", &st), ("reason", "法律适用一项应得满分，笔录已写明条款")]).await.unwrap();
        let err = s.admin.call::<usize>("finalize_results", &[("id", &c)]).await.unwrap_err();
        assert_eq!(err.message_key(), "results.err_open_appeals");
        let appeal: i64 = sqlx::query_scalar("select appeal_id from appeal").fetch_one(&s.admin.state.pool).await.unwrap();
        let err = exs[0].call::<()>("resolve_appeal", &[("appeal", &appeal.to_string()), ("upheld", "true"), ("resolution", "x"), ("score", "99")]).await.unwrap_err();
        assert_eq!(err, AppError::Forbidden);
        let () = chief.call("resolve_appeal", &[("appeal", &appeal.to_string()), ("upheld", "true"), ("resolution", "复核成立，法律适用改为满分"), ("score", "70")]).await.unwrap();
        let kinds: Vec<String> = sqlx::query_scalar("select kind from mark_log where kind = 'appeal'").fetch_all(&s.admin.state.pool).await.unwrap();
        assert_eq!(kinds.len(), 1);
        let public: PublicResultsView = anon.call("public_results", &[("id", &c)]).await.unwrap();
        let four_row = public.results.rows.iter().find(|r| r.name == "c-four").unwrap();
        assert_eq!(four_row.total, 7000);

        // Exports: results as XLSX and CSV (names, awards), every mark as CSV; an examiner gets none of them.
        let xlsx = s.admin.get(&format!("/admin/competitions/{c}/results.xlsx")).await;
        assert!(xlsx.status.is_success() && xlsx.body.starts_with(b"PK"), "{}", xlsx.status);
        let csv = s.admin.get(&format!("/admin/competitions/{c}/results.csv")).await.text();
        assert!(csv.contains("c-one") && csv.contains("一等奖"), "{csv}");
        let marks = s.admin.get(&format!("/admin/competitions/{c}/marks.csv")).await.text();
        assert_eq!(marks.lines().count(), 1 + 4 * 3 * 3, "{marks}");
        assert!(marks.contains("ex-a") && marks.contains(&format!("{c:0>4}-00001")));
        assert_eq!(exs[0].get(&format!("/admin/competitions/{c}/marks.csv")).await.status, axum::http::StatusCode::FORBIDDEN);
        let view: ResultsAdminView = s.admin.call("results_admin", &[("id", &c)]).await.unwrap();
        assert_eq!(view.examiners.len(), 3);
        assert!(view.examiners.iter().all(|e| e.locked == 4 && e.assigned == 4));

        let n: usize = s.admin.call("finalize_results", &[("id", &c)]).await.unwrap();
        // c-one: 执法能手 + first prize; c-two and c-three: second prize.
        assert_eq!(n, 4);
        let code: String = sqlx::query_scalar(
            "select a.code from award_certificate a join entrant e on e.entrant_id = a.entrant_id join app_user u on u.user_id = e.user_id \
             where u.username = 'c-one' and a.title = '执法能手'",
        )
        .fetch_one(&s.admin.state.pool)
        .await
        .unwrap();
        let verified: Option<CertificateView> = anon.call("verify_certificate", &[("code", &code.to_lowercase())]).await.unwrap();
        let v = verified.expect("the certificate verifies");
        assert_eq!(v.holder, "c-one");
        assert_eq!(v.award.as_ref().map(|a| a.1.as_str()), Some("执法能手"));
        // Final is final.
        let err = s.admin.call::<()>("save_result_rules", &[("id", &c), ("tie1", "time"), ("champions", "top"), ("champions_n", "2"), ("first", "25"), ("second", "50"), ("third", "0"), ("team_best_of", "3"), ("org_awards", "1")]).await.unwrap_err();
        assert_eq!(err.message_key(), "results.err_final");
        let mut conn = s.admin.state.pool.acquire().await.unwrap();
        assert_eq!(app::grading::chain::verify(&mut conn).await.unwrap().broken_at, None);
        let _ = &mut s;
    }
}
