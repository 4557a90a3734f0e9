//! Scenario attempts over HTTP: the model path scores full marks, no response ever carries an answer, stale and
//! foreign submissions change nothing, the server's clock closes exam attempts, going back only where allowed,
//! and plain forms work without JavaScript.

use app::content::engine::{self, Action};
use app::content::model::{Scenario, StepKind};
use app::error::AppError;
use app::scenario::{Catalogue, PlayView};
use axum::http::StatusCode;
use lianbing_tests::{Db, TestApp, on_both};

const KEY: &str = "thermal-cems-tamper";

async fn trainee(db: Db) -> TestApp {
    let mut app = TestApp::new(db).await;
    app.import_fixture_content_with(&[KEY]).await;
    app.login_demo("trainee").await;
    app
}

async fn scenario(app: &TestApp) -> Scenario {
    let mut conn = app.state.pool.acquire().await.unwrap();
    let (_, body) = app::server::content_store::published(&mut conn, "scenario", KEY)
        .await
        .unwrap()
        .unwrap();
    serde_json::from_str(&body).unwrap()
}

async fn start(app: &mut TestApp, mode: &str) -> i64 {
    app.call("start_attempt", &[("scenario", KEY), ("mode", mode)])
        .await
        .unwrap()
}

async fn seed(app: &TestApp, attempt: i64) -> u64 {
    let seed: i64 = sqlx::query_scalar("select seed from scenario_attempt where attempt_id = $1")
        .bind(attempt)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    seed as u64
}

async fn view(app: &mut TestApp, attempt: i64) -> Result<PlayView, AppError> {
    app.call("get_attempt", &[("id", &attempt.to_string())])
        .await
}

/// The form fields that submit `action` at the current step, mapping ids to the attempt's position keys as the
/// page shows them.
fn form_for(s: &Scenario, seed: u64, step_id: &str, action: &Action) -> Vec<(String, String)> {
    let step = s.step.iter().find(|x| x.id == step_id).unwrap();
    let ids: Vec<String> = match step.kind {
        StepKind::Review => step
            .finding
            .iter()
            .map(|f| f.id.clone())
            .chain(step.distractor.iter().map(|d| d.id.clone()))
            .collect(),
        _ => step.choice.iter().map(|c| c.id.clone()).collect(),
    };
    let order = app::scenario::ssr::order(seed, step_id, ids.len());
    let key_of = |id: &str| {
        let pos = order.iter().position(|&i| ids[i] == id).unwrap();
        format!("o{pos}")
    };
    match action {
        Action::Choose { choice } => vec![("choice".into(), key_of(choice))],
        Action::ChooseMany { choices } => choices
            .iter()
            .map(|c| (format!("pick[{}]", key_of(c)), "on".into()))
            .collect(),
        Action::Mark { marked } => marked
            .iter()
            .map(|c| (format!("pick[{}]", key_of(c)), "on".into()))
            .collect(),
        Action::Record { text } => vec![("text".into(), text.clone())],
        Action::Penalty { amount } => vec![("amount".into(), amount.to_string())],
    }
}

async fn take(
    app: &mut TestApp,
    attempt: i64,
    step: &str,
    fields: &[(String, String)],
) -> Result<(), AppError> {
    let mut form: Vec<(&str, &str)> = vec![("step", step)];
    let id = attempt.to_string();
    form.push(("attempt", &id));
    form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    app.call("take_step", &form).await
}

/// What must never reach the trainee's browser while the attempt runs, given the steps taken so far.
fn secrets(s: &Scenario, variant_seed: u64, answered: &[String], finished: bool) -> Vec<String> {
    let variant = engine::variant(s, variant_seed);
    let fill = |t: &str| engine::fill(t, s, &variant);
    let mut out = Vec::new();
    for step in &s.step {
        // Ids of findings and distractors would say which is which.
        out.extend(step.finding.iter().map(|f| format!("\"{}\"", f.id)));
        out.extend(step.distractor.iter().map(|d| format!("\"{}\"", d.id)));
        if !answered.contains(&step.id) {
            // Feedback on any option of a step not yet answered, and later prompts.
            out.extend(step.choice.iter().map(|c| fill(&c.feedback)));
            out.extend(step.element.iter().map(|e| e.label.clone()));
        }
    }
    if !finished {
        // An ending's qualification is secret unless a step offers it as an option to choose.
        let offered: Vec<String> = s
            .step
            .iter()
            .flat_map(|st| st.choice.iter().map(|c| fill(&c.text)))
            .collect();
        for e in &s.ending {
            let q = fill(&e.qualification);
            if !offered.iter().any(|o| o.contains(&q)) {
                out.push(q);
            }
            out.push(e.title.clone());
            out.push(fill(&e.text).chars().take(24).collect());
        }
    }
    out.retain(|x| x.chars().count() >= 6);
    out
}

fn assert_clean(what: &str, body: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(!body.contains(secret.as_str()), "{what} leaks {secret:?}");
    }
}

on_both! {
    async fn the_model_path_over_http_scores_full_marks_and_no_response_carries_an_answer(db: Db) {
        let mut app = trainee(db).await;
        let s = scenario(&app).await;
        for mode in ["practice", "exam"] {
            let attempt = start(&mut app, mode).await;
            let seed = seed(&app, attempt).await;
            let model = engine::model_path(&s);
            let mut answered: Vec<String> = Vec::new();
            for (step_id, action) in &model {
                let v = view(&mut app, attempt).await.unwrap();
                let step = v.step.as_ref().expect("a step while the attempt runs");
                assert_eq!(&step.id, step_id);
                assert!(v.debrief.is_none());
                if mode == "exam" {
                    assert!(v.feedback.is_none() && v.running_score.is_none(), "exam mode says nothing on the way");
                    assert!(v.seconds_left.is_some_and(|n| n > 0));
                }
                // Both what the hydrated page fetches and the server-rendered page itself.
                let json = app
                    .post("get_attempt", &[("id", &attempt.to_string())], "application/json")
                    .await
                    .text();
                let html = app.get(&format!("/attempts/{attempt}")).await.text();
                let secret = secrets(&s, seed, &answered, false);
                assert_clean(&format!("{mode} JSON at {step_id}"), &json, &secret);
                assert_clean(&format!("{mode} page at {step_id}"), &html, &secret);
                // Options are shown, in an order of their own, under keys that say nothing.
                assert!(step.options.iter().enumerate().all(|(i, o)| o.key == format!("o{i}")));
                take(&mut app, attempt, step_id, &form_for(&s, seed, step_id, action))
                    .await
                    .unwrap_or_else(|e| panic!("{mode} {step_id}: {e:?}"));
                answered.push(step_id.clone());
            }
            let v = view(&mut app, attempt).await.unwrap();
            assert!(v.finished && v.step.is_none());
            let d = v.debrief.expect("a debrief once finished");
            assert_eq!((d.total, d.max), (100, 100), "{mode}");
            assert!(d.critical.is_none());
            assert!(d.ending.as_ref().is_some_and(|e| e.model));
            assert_eq!(d.dims.iter().map(|x| x.mine).sum::<u32>(), 100);
            assert!(d.dims.iter().all(|x| x.mine == x.max));
            assert!(d.path.iter().all(|r| r.points == r.best), "{:?}", d.path);
            assert!(!d.lessons.is_empty(), "the debrief suggests lessons");
            // A finished attempt never changes.
            let (first, action) = &model[0];
            assert!(take(&mut app, attempt, first, &form_for(&s, seed, first, action)).await.is_err());
        }
        // The catalogue shows the best score and both attempts.
        let c: Catalogue = app.call("scenario_catalogue", &[]).await.unwrap();
        let thermal = c.industries.iter().find(|g| g.id == "thermal_power").unwrap();
        assert_eq!(thermal.done, 1, "one of the industry's scenarios is done");
        let card = thermal.scenarios.iter().find(|c| c.id == KEY).unwrap();
        assert_eq!((card.best, card.attempts, card.open), (Some(100), 2, None));
        let other = thermal.scenarios.iter().find(|c| c.id != KEY).unwrap();
        assert_eq!((other.best, other.attempts), (None, 0));
        assert_eq!(c.history.len(), 2);
        assert_eq!(c.industries.len(), 15);
    }

    async fn practice_feedback_explains_the_choice_with_its_legal_basis_and_a_critical_error_caps_the_score(db: Db) {
        let mut app = trainee(db).await;
        let s = scenario(&app).await;
        let attempt = start(&mut app, "practice").await;
        let seed = seed(&app, attempt).await;
        // The single-officer choice at the first step is a critical error that caps the attempt.
        let critical = s.step[0].choice.iter().find(|c| c.critical.is_some() && c.next.as_deref() != Some("")).unwrap();
        take(&mut app, attempt, &s.start, &form_for(&s, seed, &s.start, &Action::Choose { choice: critical.id.clone() }))
            .await
            .unwrap();
        let v = view(&mut app, attempt).await.unwrap();
        let f = v.feedback.expect("practice feedback");
        assert_eq!(f.items.len(), 1);
        assert_eq!(f.items[0].verdict, "critical");
        assert!(f.items[0].basis.iter().any(|b| b.contains("第42条")), "{:?}", f.items[0].basis);
        assert!(f.critical.is_some());
        // Play the rest of the model path from here: the total is capped.
        let model = engine::model_path(&s);
        let mut at = v.step.unwrap().id;
        loop {
            let Some((_, action)) = model.iter().find(|(id, _)| *id == at) else {
                panic!("the model path does not pass {at}")
            };
            take(&mut app, attempt, &at, &form_for(&s, seed, &at, action)).await.unwrap();
            let v = view(&mut app, attempt).await.unwrap();
            match v.step {
                Some(step) => at = step.id,
                None => {
                    let d = v.debrief.unwrap();
                    assert_eq!(d.total, s.critical_cap);
                    assert!(d.critical.is_some());
                    break;
                }
            }
        }
    }

    async fn stale_foreign_and_malformed_submissions_are_refused_and_change_nothing(db: Db) {
        let mut app = trainee(db).await;
        let s = scenario(&app).await;
        let attempt = start(&mut app, "practice").await;
        let seed = seed(&app, attempt).await;
        let model = engine::model_path(&s);
        let (first, action) = &model[0];
        let fields = form_for(&s, seed, first, action);
        take(&mut app, attempt, first, &fields).await.unwrap();
        // The same form again (a double click, a second tab) is refused, and the attempt stays where it is.
        let again = take(&mut app, attempt, first, &fields).await.unwrap_err();
        assert_eq!(again.message_key(), "play.err_stale");
        let v = view(&mut app, attempt).await.unwrap();
        assert_eq!(v.step_no, 2);
        // Nothing chosen, an unknown key, a bad amount.
        let second = v.step.unwrap().id;
        assert_eq!(take(&mut app, attempt, &second, &[]).await.unwrap_err().message_key(), "play.err_pick_one");
        assert_eq!(
            take(&mut app, attempt, &second, &[("choice".into(), "o99".into())]).await.unwrap_err().message_key(),
            "play.err_pick_one"
        );
        assert_eq!(view(&mut app, attempt).await.unwrap().step_no, 2);
        // Marks: only within the data, and they are kept.
        let doc = s.document.iter().find(|d| !d.anomalies.is_empty()).unwrap();
        let id = attempt.to_string();
        let bad: Result<(), AppError> = app
            .call("mark_period", &[("attempt", &id), ("document", &doc.id), ("from", "0"), ("to", "100000")])
            .await;
        assert_eq!(bad.unwrap_err().message_key(), "play.err_period");
        let ok: Result<(), AppError> = app
            .call("mark_period", &[("attempt", &id), ("document", &doc.id), ("from", "53"), ("to", "49")])
            .await;
        ok.unwrap();
        let v = view(&mut app, attempt).await.unwrap();
        let chart = v.documents.iter().find(|d| d.id == doc.id).unwrap().chart.clone().unwrap();
        assert_eq!(chart.marks, vec![(49, 53)]);
        assert!(chart.anomalies.is_empty(), "the known anomalies stay hidden until the debrief");
        // Another trainee cannot see or play this attempt: it does not exist for them.
        let mut other = app.new_browser();
        other.add_user("trainee2", "ZJ-HZ-XH", &[app::domain::Role::Trainee], "another-pass-2026").await;
        other.login("trainee2", "another-pass-2026").await.unwrap();
        assert_eq!(view(&mut other, attempt).await.unwrap_err(), AppError::NotFound);
        assert_eq!(
            take(&mut other, attempt, &second, &[("choice".into(), "o0".into())]).await.unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(other.get(&format!("/attempts/{attempt}")).await.status, StatusCode::NOT_FOUND);
        // Not logged in: nothing.
        let mut anon = app.new_browser();
        assert_eq!(view(&mut anon, attempt).await.unwrap_err(), AppError::Unauthenticated);
    }

    async fn the_servers_clock_closes_an_exam_attempt_with_what_was_answered(db: Db) {
        let mut app = trainee(db).await;
        let s = scenario(&app).await;
        let attempt = start(&mut app, "exam").await;
        let seed = seed(&app, attempt).await;
        let v = view(&mut app, attempt).await.unwrap();
        let left = v.seconds_left.unwrap();
        assert!(left > i64::from(s.minutes) * 60 - 30 && left <= i64::from(s.minutes) * 60);
        let model = engine::model_path(&s);
        let (first, action) = &model[0];
        take(&mut app, attempt, first, &form_for(&s, seed, first, action)).await.unwrap();
        // Time runs out.
        sqlx::query("update scenario_attempt set deadline_at = $1 where attempt_id = $2")
            .bind(app::server::db::now() - 1)
            .bind(attempt)
            .execute(&app.state.pool)
            .await
            .unwrap();
        let (second, action) = &model[1];
        let late = take(&mut app, attempt, second, &form_for(&s, seed, second, action)).await.unwrap_err();
        assert_eq!(late.message_key(), "play.err_time_up");
        let v = view(&mut app, attempt).await.unwrap();
        assert!(v.finished);
        let d = v.debrief.unwrap();
        assert!(d.timed_out && d.ending.is_none());
        let first_points = d.path[0].points.unwrap();
        assert!(first_points > 0);
        assert_eq!(d.total, first_points, "only what was answered before the deadline counts");
        let (status, score): (String, Option<i64>) =
            sqlx::query_as("select status, score from scenario_attempt where attempt_id = $1")
                .bind(attempt)
                .fetch_one(&app.state.pool)
                .await
                .unwrap();
        assert_eq!((status.as_str(), score), ("finished", Some(i64::from(first_points))));
    }

    async fn going_back_is_possible_only_where_the_scenario_allows_it(db: Db) {
        let mut app = trainee(db).await;
        let s = scenario(&app).await;
        let attempt = start(&mut app, "practice").await;
        let seed = seed(&app, attempt).await;
        let id = attempt.to_string();
        let refused: Result<(), AppError> = app.call("step_back", &[("attempt", &id), ("step", &s.start)]).await;
        assert_eq!(refused.unwrap_err().message_key(), "play.err_no_back");
        let model = engine::model_path(&s);
        let back_at = s.step.iter().find(|x| x.back).expect("the starter scenario allows one step back");
        let mut before = String::new();
        for (step_id, action) in &model {
            if *step_id == back_at.id {
                break;
            }
            before = step_id.clone();
            take(&mut app, attempt, step_id, &form_for(&s, seed, step_id, action)).await.unwrap();
        }
        let v = view(&mut app, attempt).await.unwrap();
        assert!(v.can_back);
        assert_eq!(v.step.unwrap().id, back_at.id);
        let ok: Result<(), AppError> = app.call("step_back", &[("attempt", &id), ("step", &back_at.id)]).await;
        ok.unwrap();
        let v = view(&mut app, attempt).await.unwrap();
        assert_eq!(v.step.unwrap().id, before);
    }

    async fn without_javascript_a_step_form_posts_and_redirects_back_to_the_attempt(db: Db) {
        let mut app = trainee(db).await;
        let s = scenario(&app).await;
        let res = app.post_form("start_attempt", &[("scenario", KEY), ("mode", "practice")], &format!("/scenarios/{KEY}")).await;
        assert!(res.status.is_redirection(), "{}", res.status);
        let location = res.location().unwrap();
        let attempt: i64 = location.trim_start_matches("/attempts/").parse().unwrap();
        let page = app.get(&location).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("id=\"step-form\""));
        let seed = seed(&app, attempt).await;
        let (first, action) = &engine::model_path(&s)[0];
        let mut form: Vec<(String, String)> = vec![("attempt".into(), attempt.to_string()), ("step".into(), first.clone())];
        form.extend(form_for(&s, seed, first, action));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let res = app.post_form("take_step", &pairs, &location).await;
        assert!(res.status.is_redirection());
        assert!(res.location().unwrap().contains(&location), "{:?}", res.location());
        let page = app.get(&location).await.text();
        assert!(page.contains("id=\"feedback\""), "the next page carries the feedback");
        // A refused plain form comes back to the page with the message, in the page's language.
        let res = app.post_form("take_step", &[("attempt", &attempt.to_string()), ("step", first)], &location).await;
        let back = res.location().unwrap();
        let page = app.get(&back).await.text();
        assert!(page.contains("这一步已经提交过"), "{back}");
    }
}
