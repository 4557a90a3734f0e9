//! Study over HTTP: reading time from heartbeats, knowledge checks that reveal nothing before submission, 学时
//! credited once, the course test and a certificate anyone can verify, training events with a check-in code that
//! works only while they run, and the admin side: rules, assignments, reports and the XLSX export.

use app::domain::Role;
use app::error::AppError;
use app::study::events::EventCard;
use app::study::{CatalogueData, CertificateView, CourseTest, CourseView, HoursView, LessonStudy};
use axum::http::StatusCode;
use lianbing_tests::{Db, TestApp, on_both};

const LESSON: &str = "mini-lesson";
const COURSE: &str = "mini-course";

async fn trainee(db: Db) -> TestApp {
    let mut app = TestApp::new(db).await;
    app.import_fixture_content().await;
    app.login_demo("trainee").await;
    app
}

async fn lesson(app: &mut TestApp) -> LessonStudy {
    app.call("study_lesson", &[("id", LESSON)]).await.unwrap()
}

async fn hours(app: &mut TestApp) -> HoursView {
    app.call("my_hours", &[]).await.unwrap()
}

async fn check(
    app: &mut TestApp,
    endpoint: &str,
    field: (&str, &str),
    answer: &str,
) -> Result<bool, AppError> {
    app.call(endpoint, &[field, ("a[q0]", answer)]).await
}

async fn set_last_beat(app: &TestApp, ago: i64) {
    sqlx::query("update lesson_progress set last_beat_at = $1 where lesson_key = $2")
        .bind(app::server::db::now() - ago)
        .bind(LESSON)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

/// A `datetime-local` value in China Standard Time, `offset` seconds from now.
fn local(offset: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(app::server::db::now() + offset)
        .unwrap()
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

on_both! {
    async fn reading_time_counts_only_heartbeats_that_come_on_time(db: Db) {
        let mut app = trainee(db).await;
        let l = lesson(&mut app).await;
        assert_eq!((l.seconds, l.heartbeat), (0, 20));
        // The first beat of a sitting starts the clock and earns nothing.
        let s: i64 = app.call("heartbeat", &[("lesson", LESSON)]).await.unwrap();
        assert_eq!(s, 0);
        set_last_beat(&app, 20).await;
        let s: i64 = app.call("heartbeat", &[("lesson", LESSON)]).await.unwrap();
        assert_eq!(s, 20);
        // A late beat earns at most the cap; a very late one (a hidden or idle tab) earns nothing.
        set_last_beat(&app, 50).await;
        let s: i64 = app.call("heartbeat", &[("lesson", LESSON)]).await.unwrap();
        assert_eq!(s, 50);
        set_last_beat(&app, 600).await;
        let s: i64 = app.call("heartbeat", &[("lesson", LESSON)]).await.unwrap();
        assert_eq!(s, 50);
        // Beats sent faster than the interval earn only the time that passed.
        let s: i64 = app.call("heartbeat", &[("lesson", LESSON)]).await.unwrap();
        assert!(s <= 51);
        // Time never exceeds twice the lesson's length.
        for _ in 0..100 {
            set_last_beat(&app, 30).await;
            let _: i64 = app.call("heartbeat", &[("lesson", LESSON)]).await.unwrap();
        }
        assert_eq!(lesson(&mut app).await.seconds, 15 * 60 * 2);
        // Nothing for a lesson that does not exist, nor without a login.
        let e: Result<i64, AppError> = app.call("heartbeat", &[("lesson", "no-such")]).await;
        assert_eq!(e.unwrap_err(), AppError::NotFound);
        let mut anon = app.new_browser();
        let e: Result<i64, AppError> = anon.call("heartbeat", &[("lesson", LESSON)]).await;
        assert_eq!(e.unwrap_err(), AppError::Unauthenticated);
    }

    async fn a_check_reveals_nothing_before_it_is_answered_and_passing_credits_the_lesson_once(db: Db) {
        let mut app = trainee(db).await;
        let page = app.get(&format!("/lessons/{LESSON}")).await.text();
        let json = app.post("study_lesson", &[("id", LESSON)], "application/json").await.text();
        let mut conn = app.state.pool.acquire().await.unwrap();
        let (_, body) = app::server::content_store::published(&mut conn, "question", "q-two-officers").await.unwrap().unwrap();
        drop(conn);
        let q: app::content::model::Question = serde_json::from_str(&body).unwrap();
        for text in [&page, &json] {
            assert!(!text.contains(&q.explanation), "the explanation is an answer");
            assert!(!text.contains("\"answer\""), "no answer field");
        }
        let l = lesson(&mut app).await;
        assert_eq!(l.check.len(), 1);
        assert!(!l.done && l.result.is_none());
        assert_eq!(l.course.as_ref().map(|c| c.0.as_str()), Some(COURSE));
        assert_eq!(l.credit, 50, "a 15-minute lesson earns 0.5 学时");
        // Unanswered: refused with a message, nothing saved.
        let e: Result<bool, AppError> = app.call("submit_check", &[("lesson", LESSON)]).await;
        assert_eq!(e.unwrap_err().message_key(), "study.err_unanswered");
        // Wrong: not passed, the feedback explains with the legal basis, no 学时.
        assert!(!check(&mut app, "submit_check", ("lesson", LESSON), "T").await.unwrap());
        let l = lesson(&mut app).await;
        let r = l.result.unwrap();
        assert!(!r.passed && !r.items[0].right);
        assert_eq!(r.items[0].explanation, q.explanation);
        assert!(!r.items[0].basis.is_empty());
        assert!(!l.done);
        assert_eq!(hours(&mut app).await.total, 0);
        // Right: passed, the lesson is done and credited; passing again credits nothing more.
        assert!(check(&mut app, "submit_check", ("lesson", LESSON), "F").await.unwrap());
        assert!(check(&mut app, "submit_check", ("lesson", LESSON), "F").await.unwrap());
        assert!(lesson(&mut app).await.done);
        let h = hours(&mut app).await;
        assert_eq!((h.total, h.target, h.credits.len()), (50, 5000, 1));
        // A later wrong answer does not take the completion back.
        assert!(!check(&mut app, "submit_check", ("lesson", LESSON), "T").await.unwrap());
        assert!(lesson(&mut app).await.done);
    }

    async fn the_course_test_opens_after_the_lessons_and_issues_a_certificate_anyone_can_verify(db: Db) {
        let mut app = trainee(db).await;
        let c: CourseView = app.call("get_course", &[("id", COURSE)]).await.unwrap();
        assert!(!c.test_open && !c.card.enrolled);
        let t: CourseTest = app.call("get_course_test", &[("course", COURSE)]).await.unwrap();
        assert!(!t.open && t.check.is_empty(), "no questions before the lessons are done");
        let e = check(&mut app, "submit_course_test", ("course", COURSE), "F").await.unwrap_err();
        assert_eq!(e.message_key(), "study.err_test_closed");
        let _ = lesson(&mut app).await; // opening a lesson enrols
        assert!(check(&mut app, "submit_check", ("lesson", LESSON), "F").await.unwrap());
        let c: CourseView = app.call("get_course", &[("id", COURSE)]).await.unwrap();
        assert!(c.test_open && c.card.enrolled && !c.card.completed);
        assert_eq!(c.card.percent, 50);
        assert!(!check(&mut app, "submit_course_test", ("course", COURSE), "T").await.unwrap());
        assert!(check(&mut app, "submit_course_test", ("course", COURSE), "F").await.unwrap());
        let c: CourseView = app.call("get_course", &[("id", COURSE)]).await.unwrap();
        assert!(c.card.completed && c.test_passed);
        assert_eq!(c.card.percent, 100);
        let code = c.certificate.expect("a certificate");
        assert_eq!(hours(&mut app).await.total, 100, "0.5 for the lesson and 0.5 for the test");
        let cert: CertificateView = app.call("get_certificate", &[("code", &code)]).await.unwrap();
        assert_eq!((cert.course.as_str(), cert.hundredths), ("最小课程", 100));
        // Anyone, logged in or not, can verify it; a made-up code is not genuine.
        let mut anon = app.new_browser();
        let v: Option<CertificateView> = anon.call("verify_certificate", &[("code", &code.to_lowercase())]).await.unwrap();
        assert_eq!(v.unwrap().holder, cert.holder);
        let v: Option<CertificateView> = anon.call("verify_certificate", &[("code", "ABCD-EFGH-JKLM")]).await.unwrap();
        assert!(v.is_none());
        let page = anon.get(&format!("/verify?code={code}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("证书真实有效") && page.text().contains(&cert.holder));
        let page = anon.get("/verify?code=ZZZZ-ZZZZ-ZZZZ").await.text();
        assert!(page.contains("证书不真实"));
        // The printable certificate is the holder's (and their admins'), not another trainee's.
        let mut other = app.new_browser();
        other.add_user("trainee2", "ZJ-HZ-XH", &[Role::Trainee], "another-pass-2026").await;
        other.login("trainee2", "another-pass-2026").await.unwrap();
        let e: Result<CertificateView, AppError> = other.call("get_certificate", &[("code", &code)]).await;
        assert_eq!(e.unwrap_err(), AppError::NotFound);
        let mut admin = app.new_browser();
        admin.login_demo("admin").await;
        let ok: Result<CertificateView, AppError> = admin.call("get_certificate", &[("code", &code)]).await;
        assert!(ok.is_ok());
        // The catalogue shows the course completed.
        let cat: CatalogueData = app.call("course_catalogue", &[]).await.unwrap();
        assert!(cat.courses.iter().any(|c| c.id == COURSE && c.completed));
    }

    async fn an_event_check_in_works_only_while_it_runs_and_only_with_its_code(db: Db) {
        let mut app = trainee(db).await;
        let mut admin = app.new_browser();
        admin.login_demo("admin").await;
        let create = |start: i64, end: i64, cap: &'static str| {
            vec![
                ("kind", "site_visit".to_owned()),
                ("title", "热电厂现场观摩".to_owned()),
                ("industry", "thermal_power".to_owned()),
                ("place", "某市热电培训基地".to_owned()),
                ("starts_at", local(start)),
                ("ends_at", local(end)),
                ("hours", "4".to_owned()),
                ("capacity", cap.to_owned()),
            ]
        };
        let form = create(-3600, 3600, "1");
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let running: i64 = admin.call("create_event", &pairs).await.unwrap();
        let form = create(86_400, 90_000, "10");
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let later: i64 = admin.call("create_event", &pairs).await.unwrap();
        // Bad input is refused field by field.
        let mut bad = create(3600, -3600, "10");
        bad[4].1 = local(3600);
        let pairs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let e: Result<i64, AppError> = admin.call("create_event", &pairs).await;
        assert_eq!(e.unwrap_err().message_key(), "events.err_time");

        let list: Vec<EventCard> = app.call("list_events", &[]).await.unwrap();
        assert_eq!(list.len(), 2);
        let code: String = sqlx::query_scalar("select checkin_code from training_event where event_id = $1")
            .bind(running)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let id = running.to_string();
        let e: Result<(), AppError> = app.call("check_in_event", &[("event", &id), ("code", &code)]).await;
        assert_eq!(e.unwrap_err().message_key(), "events.err_not_signed_up");
        let ok: Result<(), AppError> = app.call("sign_up_event", &[("event", &id)]).await;
        ok.unwrap();
        // The one place is taken.
        let mut other = app.new_browser();
        other.add_user("trainee2", "ZJ-HZ-XH", &[Role::Trainee], "another-pass-2026").await;
        other.login("trainee2", "another-pass-2026").await.unwrap();
        let e: Result<(), AppError> = other.call("sign_up_event", &[("event", &id)]).await;
        assert_eq!(e.unwrap_err().message_key(), "events.err_full");
        let e: Result<(), AppError> = app.call("check_in_event", &[("event", &id), ("code", wrong)]).await;
        assert_eq!(e.unwrap_err().message_key(), "events.err_code");
        assert_eq!(hours(&mut app).await.total, 0);
        let ok: Result<(), AppError> = app.call("check_in_event", &[("event", &id), ("code", &code)]).await;
        ok.unwrap();
        let h = hours(&mut app).await;
        assert_eq!((h.total, h.credits[0].kind.as_str()), (400, "event"));
        // The later event: signed up, but its code does not work before it starts.
        let later_id = later.to_string();
        let ok: Result<(), AppError> = app.call("sign_up_event", &[("event", &later_id)]).await;
        ok.unwrap();
        let later_code: String = sqlx::query_scalar("select checkin_code from training_event where event_id = $1")
            .bind(later)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
        let e: Result<(), AppError> = app.call("check_in_event", &[("event", &later_id), ("code", &later_code)]).await;
        assert_eq!(e.unwrap_err().message_key(), "events.err_not_running");
        // The organiser marks attendance instead, and can take it back; the 学时 follow.
        let trainee_id = app.user_id("trainee").await.to_string();
        let ok: Result<(), AppError> = admin.call("mark_attendance", &[("event", &later_id), ("user", &trainee_id), ("attended", "yes")]).await;
        ok.unwrap();
        assert_eq!(hours(&mut app).await.total, 800);
        let ok: Result<(), AppError> = admin.call("mark_attendance", &[("event", &later_id), ("user", &trainee_id), ("attended", "no")]).await;
        ok.unwrap();
        assert_eq!(hours(&mut app).await.total, 400);
        // A trainee is not an organiser, and the code is only on the organiser's page.
        let e: Result<app::study::events::AdminEvent, AppError> = app.call("get_admin_event", &[("id", &id)]).await;
        assert_eq!(e.unwrap_err(), AppError::Forbidden);
        let trainee_view = app.post("list_events", &[], "application/json").await.text();
        assert!(!trainee_view.contains(&code));
        // An event of another province is neither listed nor joinable.
        let mut js = app.new_browser();
        js.add_user("js-admin", "JS", &[Role::Admin], "another-pass-2026").await;
        js.login("js-admin", "another-pass-2026").await.unwrap();
        let form = create(-3600, 3600, "10");
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let js_event: i64 = js.call("create_event", &pairs).await.unwrap();
        let list: Vec<EventCard> = app.call("list_events", &[]).await.unwrap();
        assert!(!list.iter().any(|e| e.id == js_event));
        let e: Result<(), AppError> = app.call("sign_up_event", &[("event", &js_event.to_string())]).await;
        assert_eq!(e.unwrap_err(), AppError::NotFound);
    }

    async fn admins_assign_courses_and_report_hours_within_their_scope(db: Db) {
        let mut app = trainee(db).await;
        let mut admin = app.new_browser();
        admin.login_demo("admin").await;
        let due = local(30 * 86_400)[..10].to_owned();
        let ok: Result<(), AppError> = admin
            .call("assign_course", &[("course", COURSE), ("unit", "ZJ-HZ"), ("username", ""), ("due", &due)])
            .await;
        ok.unwrap();
        for (unit, username, key) in [("JS-NJ", "", "study.err_unit"), ("", "examiner", "study.err_person"), ("", "", "study.err_target")] {
            let e: Result<(), AppError> = admin
                .call("assign_course", &[("course", COURSE), ("unit", unit), ("username", username), ("due", &due)])
                .await;
            assert_eq!(e.unwrap_err().message_key(), key, "{unit}{username}");
        }
        let e: Result<(), AppError> = admin
            .call("assign_course", &[("course", COURSE), ("unit", "ZJ-HZ"), ("username", ""), ("due", "2020-01-01")])
            .await;
        assert_eq!(e.unwrap_err().message_key(), "study.err_due");
        // The trainee below ZJ-HZ sees it due on the home page.
        let home: app::study::HomeStudy = app.call("study_home", &[]).await.unwrap();
        assert_eq!(home.due.len(), 1);
        assert_eq!(home.next.as_ref().map(|n| n.0.as_str()), Some("/courses/mini-course"));
        assert!(check(&mut app, "submit_check", ("lesson", LESSON), "F").await.unwrap());
        let v: app::study::admin::StudyAdminView = admin.call("study_admin", &[]).await.unwrap();
        assert!(!v.can_edit_rules, "a provincial admin reads the rules");
        let me = v.people.iter().find(|p| p.username == "trainee").unwrap();
        assert_eq!(me.hundredths, 50);
        assert!(!v.people.iter().any(|p| p.username == "examiner"), "another province is out of scope");
        assert_eq!(v.assignments.len(), 1);
        // The XLSX export: an admin gets a workbook, a trainee nothing.
        let res = admin.get("/admin/study/hours.xlsx").await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.starts_with(b"PK"), "an XLSX file is a zip archive");
        assert!(res.headers[axum::http::header::CONTENT_DISPOSITION].to_str().unwrap().contains(".xlsx"));
        assert_eq!(app.get("/admin/study/hours.xlsx").await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.new_browser().get("/admin/study/hours.xlsx").await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(admin.get("/admin/study/hours.xlsx?unit=JS").await.status, StatusCode::NOT_FOUND);
        // Rules: only a ministry-level admin changes them, and only to sensible values.
        let rules = [
            ("long_minutes", "30"), ("long_lesson", "1"), ("medium_minutes", "10"), ("medium_lesson", "0.75"),
            ("short_lesson", "0.25"), ("course_test", "0.5"), ("yearly_target", "60"), ("pass_percent", "60"),
        ];
        let e: Result<(), AppError> = admin.call("save_hour_rules", &rules).await;
        assert_eq!(e.unwrap_err(), AppError::Forbidden);
        let mut chief = app.new_browser();
        chief.add_user("mee-admin", "MEE", &[Role::Admin], "another-pass-2026").await;
        chief.login("mee-admin", "another-pass-2026").await.unwrap();
        let mut broken = rules;
        broken[2] = ("medium_minutes", "45");
        let e: Result<(), AppError> = chief.call("save_hour_rules", &broken).await;
        assert_eq!(e.unwrap_err().message_key(), "study.err_rule_minutes");
        let ok: Result<(), AppError> = chief.call("save_hour_rules", &rules).await;
        ok.unwrap();
        assert_eq!(lesson(&mut app).await.credit, 75, "a 15-minute lesson now earns 0.75");
        assert_eq!(hours(&mut app).await.target, 6000);
    }

    async fn an_admin_uploads_a_lesson_video_that_trainees_stream_with_range_requests(db: Db) {
        let mut app = trainee(db).await;
        let mut admin = app.new_browser();
        admin.login_demo("admin").await;
        // Something that is not an MP4 is refused and nothing is stored.
        let res = admin
            .upload_fields("upload_video", &[("lesson", LESSON)], "video", "a.mp4", b"not a video at all", "/admin/study")
            .await;
        let back = res.location().unwrap();
        assert!(admin.get(&back).await.text().contains("只能上传 MP4 视频"), "{back}");
        assert!(!lesson(&mut app).await.video);
        // A 9 MB MP4 (an ftyp box, then bytes): larger than the form body limit, streamed to disk.
        let mut mp4 = vec![0, 0, 0, 0x18];
        mp4.extend_from_slice(b"ftypisom");
        mp4.extend((0..9 * 1024 * 1024).map(|i| (i % 251) as u8));
        let res = admin
            .upload_fields("upload_video", &[("lesson", LESSON)], "video", "lesson.mp4", &mp4, "/admin/study")
            .await;
        assert!(res.location().unwrap().contains("video=mini-lesson"), "{:?}", res.location());
        assert!(lesson(&mut app).await.video);
        assert!(app.get(&format!("/lessons/{LESSON}")).await.text().contains("/video/mini-lesson"));
        // Whole file, then a range (what a player asks for when seeking).
        let whole = app.get("/video/mini-lesson").await;
        assert_eq!(whole.status, StatusCode::OK);
        assert_eq!(whole.body.len(), mp4.len());
        assert_eq!(whole.headers[axum::http::header::CONTENT_TYPE], "video/mp4");
        let req = axum::http::Request::get("/video/mini-lesson")
            .header(axum::http::header::RANGE, "bytes=1000-1999")
            .body(axum::body::Body::empty())
            .unwrap();
        let part = app.send(req).await;
        assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.body, mp4[1000..2000]);
        assert!(part.headers[axum::http::header::CONTENT_RANGE].to_str().unwrap().starts_with("bytes 1000-1999/"));
        // Only for logged-in users; a trainee cannot upload.
        assert_eq!(app.new_browser().get("/video/mini-lesson").await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.get("/video/no-such-lesson").await.status, StatusCode::NOT_FOUND);
        let res = app
            .upload_fields("upload_video", &[("lesson", LESSON)], "video", "lesson.mp4", &mp4[..100], "/lessons/mini-lesson")
            .await;
        let back = res.location().unwrap_or_default();
        assert!(back.contains("__err") || res.status.is_client_error(), "{} {back}", res.status);
        let _ = std::fs::remove_dir_all(&app.state.media_dir);
    }

    async fn a_protected_page_fetches_its_data_once_per_request(db: Db) {
        // Resources made inside Protected's Suspense were made again when it resolved: the server fetched the
        // page's data two or three times and sometimes without its context. Each page now makes them outside.
        let mut app = trainee(db).await;
        for (path, resources) in [("/courses", 2), ("/scenarios", 2), ("/events", 2), ("/study/hours", 2), ("/", 3)] {
            for _ in 0..5 {
                let page = app.get(path).await;
                assert_eq!(page.status, StatusCode::OK);
                let text = page.text();
                assert_eq!(
                    text.matches("__RESOLVED_RESOURCES[").count(),
                    resources,
                    "{path} serialised its resources more than once"
                );
            }
        }
        let mut admin = app.new_browser();
        admin.login_demo("admin").await;
        for path in ["/admin/units", "/admin/users", "/admin/users/new", "/admin/audit", "/admin/content", "/admin/import", "/admin/study", "/admin/events"] {
            for _ in 0..3 {
                let text = admin.get(path).await.text();
                assert_eq!(text.matches("__RESOLVED_RESOURCES[").count(), 2, "{path} serialised its resources more than once");
            }
        }
    }
}
