//! Admins publishing in the browser: drafts, review, publication scope, versions and diffs, sanitised
//! Markdown, image uploads; trainees reading and finding what is published.

use app::admin::content::{DiffLine, Draft};
use app::domain::Role;
use app::error::AppError;
use app::library::{CaseList, CaseView, SearchHit};
use axum::http::StatusCode;
use lianbing_tests::{Db, TestApp, on_both};

const XSS_BODY: &str = "## 案情\n\n烟气走旁路直排。</textarea><script>alert('xss')</script>\n\n<img src=x onerror=alert(1)>\n\n[点我](javascript:alert(2))";

async fn admin(db: Db) -> TestApp {
    let mut app = TestApp::new(db).await;
    app.import_fixture_content().await;
    app.login_demo("admin").await;
    app
}

/// Saves a new case study as the logged-in admin; returns its key.
async fn new_case(
    app: &mut TestApp,
    title: &str,
    body: &str,
    scope: &str,
) -> Result<String, AppError> {
    app.call(
        "save_draft",
        &[
            ("kind", "case"),
            ("key", ""),
            ("title", title),
            ("act_date", "2026-09-18"),
            ("industry", "steel"),
            ("region", "浙江省某市"),
            ("violations", "V3"),
            ("basis", "code 1108"),
            ("penalty", "罚款60万元"),
            ("outcome", "已移送公安"),
            ("minutes", ""),
            ("body", body),
            ("scope", scope),
        ],
    )
    .await
}

async fn step(app: &mut TestApp, key: &str, action: &str) -> Result<(), AppError> {
    app.call(
        "set_content_status",
        &[("kind", "case"), ("key", key), ("action", action)],
    )
    .await
}

async fn trainee_cases(app: &TestApp) -> Vec<String> {
    let mut t = app.new_browser();
    t.login_demo("trainee").await;
    let list: CaseList = t
        .call(
            "list_cases",
            &[("industry", ""), ("violation", ""), ("year", "")],
        )
        .await
        .unwrap();
    list.cases.into_iter().map(|c| c.id).collect()
}

on_both! {
    async fn a_case_study_goes_from_draft_through_review_to_trainees(db: Db) {
        let mut app = admin(db).await;
        let zj = app.unit_id("ZJ").await.to_string();
        let key = new_case(&mut app, "某钢铁厂烧结烟气旁路案", "## 案情\n\n夜间开启旁路挡板，烟气走旁路直排。", &zj).await.unwrap();
        assert!(!trainee_cases(&app).await.contains(&key), "a draft is not published");
        step(&mut app, &key, "submit").await.unwrap();
        assert!(!trainee_cases(&app).await.contains(&key), "a case in review is not published");
        assert_eq!(step(&mut app, &key, "submit").await, Err(AppError::field("action", "editor.err_transition")));
        step(&mut app, &key, "publish").await.unwrap();
        assert!(trainee_cases(&app).await.contains(&key));

        let mut trainee = app.new_browser();
        trainee.login_demo("trainee").await;
        let hits: Vec<SearchHit> = trainee.call("search", &[("q", "旁路")]).await.unwrap();
        let hit = hits.iter().find(|h| h.href == format!("/cases/{key}")).expect("found by a word inside a sentence");
        assert!(hit.snippet.contains("[[旁路]]"));
        let page = trainee.get("/search?q=%E6%97%81%E8%B7%AF").await;
        assert!(page.text().contains("<mark>旁路</mark>"), "highlighted on the page");
        let case: CaseView = trainee.call("get_case", &[("id", &key)]).await.unwrap();
        assert!(case.html.contains("<h2>案情</h2>"));
        assert_eq!(case.basis, vec!["《生态环境法典》第1108条"]);

        step(&mut app, &key, "archive").await.unwrap();
        assert!(!trainee_cases(&app).await.contains(&key));
        let hits: Vec<SearchHit> = trainee.call("search", &[("q", "旁路")]).await.unwrap();
        assert!(hits.iter().all(|h| h.href != format!("/cases/{key}")), "archived content leaves the index");
        let actions = app.audit_actions(&format!("case:{key}")).await;
        assert_eq!(actions, vec!["content.save", "content.submit", "content.publish", "content.archive"]);
    }

    async fn script_and_event_handler_payloads_never_reach_a_page(db: Db) {
        let mut app = admin(db).await;
        let zj = app.unit_id("ZJ").await.to_string();
        let key = new_case(&mut app, "旁路案<script>alert('t')</script>", XSS_BODY, &zj).await.unwrap();
        step(&mut app, &key, "publish").await.unwrap();
        let preview: String = app.call("preview_markdown", &[("body", XSS_BODY)]).await.unwrap();
        let mut trainee = app.new_browser();
        trainee.login_demo("trainee").await;
        let pages = [
            app.get(&format!("/admin/content/case/{key}")).await.text(),
            app.get("/admin/content").await.text(),
            trainee.get(&format!("/cases/{key}")).await.text(),
            trainee.get("/cases").await.text(),
            trainee.get("/search?q=%E6%97%81%E8%B7%AF").await.text(),
            preview,
        ];
        for (i, page) in pages.iter().enumerate() {
            for bad in ["<script>alert", "<img src=x onerror", "<img src=\"x\" onerror", "href=\"javascript:"] {
                if let Some(at) = page.find(bad) {
                    let from = page.floor_char_boundary(at.saturating_sub(60));
                    panic!("page {i} carries {bad:?}: …{}…", &page[from..page.ceil_char_boundary(at + 80)]);
                }
            }
        }
        assert!(pages[2].contains("烟气走旁路直排"), "the harmless text is still there");
    }

    async fn an_edit_of_published_content_is_a_new_version_trainees_see_only_when_published(db: Db) {
        let mut app = admin(db).await;
        let zj = app.unit_id("ZJ").await.to_string();
        let key = new_case(&mut app, "某焦化厂案", "第一版正文。", &zj).await.unwrap();
        step(&mut app, &key, "publish").await.unwrap();
        let form = [
            ("kind", "case"), ("key", key.as_str()), ("title", "某焦化厂案（修订）"), ("act_date", "2026-09-18"),
            ("industry", "coking"), ("region", "浙江省某市"), ("violations", "V3, V4"), ("basis", "code 1108"),
            ("penalty", "罚款60万元"), ("outcome", "已移送公安"), ("minutes", ""), ("body", "第二版正文。"), ("scope", ""),
        ];
        app.call::<String>("save_draft", &form).await.unwrap();
        let mut trainee = app.new_browser();
        trainee.login_demo("trainee").await;
        let seen: CaseView = trainee.call("get_case", &[("id", &key)]).await.unwrap();
        assert!(seen.html.contains("第一版"), "trainees keep the published version while the edit is a draft");
        let draft: Draft = app.call("get_draft", &[("kind", "case"), ("key", &key)]).await.unwrap();
        assert_eq!((draft.latest, draft.published, draft.status.as_str()), (2, Some(1), "draft"));
        assert_eq!(draft.versions.len(), 2);
        assert_eq!(draft.versions[0].by, "省厅管理员");
        let diff: Vec<DiffLine> = app.call("version_diff", &[("kind", "case"), ("key", &key), ("version", "2")]).await.unwrap();
        assert!(diff.contains(&DiffLine { tag: '-', text: "第一版正文。".into() }), "{diff:?}");
        assert!(diff.contains(&DiffLine { tag: '+', text: "第二版正文。".into() }));
        assert!(diff.contains(&DiffLine { tag: '+', text: "行业：coking".into() }));
        step(&mut app, &key, "publish").await.unwrap();
        let seen: CaseView = trainee.call("get_case", &[("id", &key)]).await.unwrap();
        assert!(seen.html.contains("第二版"));
    }

    async fn content_published_to_a_subtree_stays_inside_it(db: Db) {
        let mut app = admin(db).await;
        let hz = app.unit_id("ZJ-HZ").await.to_string();
        let key = new_case(&mut app, "杭州内部旁路案例", "仅限杭州：烟气走旁路直排。", &hz).await.unwrap();
        step(&mut app, &key, "publish").await.unwrap();
        assert!(trainee_cases(&app).await.contains(&key), "the Xihu trainee is inside Hangzhou");
        app.add_user("nb.trainee", "ZJ-NB", &[Role::Trainee], "ningbo2026").await;
        let mut outside = app.new_browser();
        outside.login("nb.trainee", "ningbo2026").await.unwrap();
        let list: CaseList = outside.call("list_cases", &[("industry", ""), ("violation", ""), ("year", "")]).await.unwrap();
        assert!(list.cases.iter().all(|c| c.id != key));
        assert_eq!(outside.call::<CaseView>("get_case", &[("id", &key)]).await.unwrap_err(), AppError::NotFound);
        let hits: Vec<SearchHit> = outside.call("search", &[("q", "杭州内部")]).await.unwrap();
        assert!(hits.is_empty(), "{hits:?}");
        // A provincial admin may not publish to the whole country.
        assert_eq!(new_case(&mut app, "全国案例", "正文。", "national").await, Err(AppError::Forbidden));
    }

    async fn the_editor_refuses_a_law_not_in_force_on_the_date_of_the_act(db: Db) {
        let mut app = admin(db).await;
        let zj = app.unit_id("ZJ").await.to_string();
        let res: Result<String, AppError> = app
            .call("save_draft", &[
                ("kind", "case"), ("key", ""), ("title", "旧法新案"), ("act_date", "2026-10-01"), ("industry", "steel"),
                ("region", "某地"), ("violations", "V3"), ("basis", "apl 99 三"), ("penalty", "罚款"), ("outcome", "结案"),
                ("minutes", ""), ("body", "正文"), ("scope", &zj),
            ])
            .await;
        assert_eq!(res, Err(AppError::field("basis", "editor.err_basis_date")));
        let bad_code = new_case(&mut app, "违法代码错", "正文", &zj).await.map(|_| ());
        assert_eq!(bad_code, Ok(()));
    }

    async fn images_are_checked_by_their_bytes_and_served_safely(db: Db) {
        let mut app = admin(db).await;
        let zj = app.unit_id("ZJ").await.to_string();
        let key = new_case(&mut app, "带图片的案例", "正文", &zj).await.unwrap();
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\x01\x01\0\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82";
        let res = app.upload_fields("upload_image", &[("back", &format!("/admin/content/case/{key}"))], "image", "a.png", png, &format!("/admin/content/case/{key}")).await;
        assert_eq!(res.status, StatusCode::FOUND);
        let location = res.location().unwrap();
        let id = location.rsplit_once("image=").unwrap().1.to_owned();
        let served = app.get(&format!("/media/{id}")).await;
        assert_eq!(served.status, StatusCode::OK);
        assert_eq!(served.headers["content-type"], "image/png");
        assert_eq!(served.body, png.to_vec());
        assert!(served.headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
        let mut stranger = app.new_browser();
        assert_eq!(stranger.get(&format!("/media/{id}")).await.status, StatusCode::UNAUTHORIZED, "images are for logged-in readers");

        let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>";
        let editor = format!("/admin/content/case/{key}");
        let refused = app.upload_fields("upload_image", &[("back", &editor)], "image", "x.png", svg, &editor).await;
        let back = refused.location().unwrap();
        assert!(back.contains("__err="), "{back}");
        let page = app.get(back.trim_start_matches("http://lianbing.test")).await;
        assert!(page.text().contains("只能上传 PNG、JPEG、GIF 或 WebP 图片"), "{}", page.text());
        let big = vec![0xffu8; 3 * 1024 * 1024];
        let mut big_jpeg = b"\xff\xd8\xff".to_vec();
        big_jpeg.extend(big);
        let refused = app.upload_fields("upload_image", &[], "image", "big.jpg", &big_jpeg, &editor).await;
        let back = refused.location().unwrap();
        let page = app.get(back.trim_start_matches("http://lianbing.test")).await;
        assert!(page.text().contains("图片超过 2 MB"), "{}", page.text());
    }

    async fn trainees_filter_the_case_library_by_industry_violation_and_year(db: Db) {
        let mut app = admin(db).await;
        let zj = app.unit_id("ZJ").await.to_string();
        let key = new_case(&mut app, "钢铁旁路案", "正文旁路", &zj).await.unwrap();
        step(&mut app, &key, "publish").await.unwrap();
        let mut t = app.new_browser();
        t.login_demo("trainee").await;
        let steel: CaseList = t.call("list_cases", &[("industry", "steel"), ("violation", ""), ("year", "")]).await.unwrap();
        assert!(steel.cases.iter().all(|c| c.industry == "steel") && steel.cases.iter().any(|c| c.id == key));
        let v9: CaseList = t.call("list_cases", &[("industry", "steel"), ("violation", "V9"), ("year", "")]).await.unwrap();
        assert!(v9.cases.iter().all(|c| c.id != key));
        let y2025: CaseList = t.call("list_cases", &[("industry", ""), ("violation", ""), ("year", "2025")]).await.unwrap();
        assert!(y2025.cases.iter().all(|c| c.act_date.starts_with("2025")));
        assert!(steel.years.contains(&"2026".to_owned()));
        let page = t.get("/cases?industry=steel").await;
        assert!(page.text().contains("钢铁旁路案"));
    }

    async fn a_scenario_found_by_search_opens_its_briefing_without_its_answers(db: Db) {
        let app = TestApp::new(db).await;
        app.import_fixture_content().await;
        let mut t = app.new_browser();
        t.login_demo("trainee").await;
        let hits: Vec<SearchHit> = t.call("search", &[("q", "冒黑烟")]).await.unwrap();
        let hit = hits.iter().find(|h| h.kind == "scenario").expect("the scenario is searchable");
        assert_eq!(hit.href, "/scenarios/mini-scenario");
        let page = t.get(&hit.href).await;
        assert_eq!(page.status, StatusCode::OK);
        let text = page.text();
        assert!(text.contains("群众反映夜间冒黑烟。参数斜率异常。"), "variant values filled in: {text}");
        for secret in ["两人出示执法证件", "夜间直线", "end-good", "程序合法。"] {
            assert!(!text.contains(secret), "the briefing page leaks {secret:?}");
        }
    }
}
