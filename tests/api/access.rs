//! Who may do what: every admin server function and page refused to anonymous visitors, trainees, examiners
//! and admins of another unit; pages in the right language and status.

use app::domain::Role;
use app::error::AppError;
use axum::http::StatusCode;
use lianbing_tests::{Db, TestApp, on_both};

/// Calls an endpoint and returns only its error (or None when it succeeded).
async fn refusal(app: &mut TestApp, endpoint: &str, form: &[(&str, &str)]) -> Option<AppError> {
    app.call::<serde_json::Value>(endpoint, form).await.err()
}

/// Every admin endpoint with arguments that would succeed for the demo admin.
async fn admin_calls(app: &TestApp) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let zj_hz = app.unit_id("ZJ-HZ").await.to_string();
    let zj_nb = app.unit_id("ZJ-NB").await.to_string();
    let trainee = app.user_id("trainee").await.to_string();
    vec![
        ("list_units", vec![]),
        (
            "create_unit",
            vec![
                ("parent_id", zj_hz.clone()),
                ("code", "ZJ-HZ-BJ".into()),
                ("name", "滨江分局".into()),
            ],
        ),
        (
            "update_unit",
            vec![
                ("unit_id", zj_nb.clone()),
                ("code", "ZJ-NB".into()),
                ("name", "宁波市生态环境局".into()),
            ],
        ),
        ("list_users", vec![("query", String::new())]),
        ("get_user", vec![("user_id", trainee.clone())]),
        (
            "create_user",
            vec![
                ("username", "new.person".into()),
                ("display_name", "新人".into()),
                ("unit_id", zj_hz.clone()),
                ("cert_no", String::new()),
                ("password", "initial123".into()),
                ("role_trainee", "on".into()),
            ],
        ),
        (
            "update_user",
            vec![
                ("user_id", trainee.clone()),
                ("display_name", "李执法".into()),
                ("unit_id", app.unit_id("ZJ-HZ-XH").await.to_string()),
                ("cert_no", String::new()),
                ("active", "on".into()),
                ("role_trainee", "on".into()),
            ],
        ),
        (
            "reset_password",
            vec![("user_id", trainee), ("password", "reset12345".into())],
        ),
        ("list_audit", vec![]),
    ]
}

on_both! {
    async fn anonymous_visitors_are_refused_every_admin_function(db: Db) {
        let mut app = TestApp::new(db).await;
        for (endpoint, form) in admin_calls(&app).await {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(refusal(&mut app, endpoint, &form).await, Some(AppError::Unauthenticated), "{endpoint}");
        }
        assert_eq!(refusal(&mut app, "home_summary", &[]).await, Some(AppError::Unauthenticated));
    }

    async fn trainees_and_examiners_are_refused_every_admin_function(db: Db) {
        let app = TestApp::new(db).await;
        let calls = admin_calls(&app).await;
        for who in ["trainee", "examiner"] {
            let mut browser = app.new_browser();
            browser.login_demo(who).await;
            for (endpoint, form) in &calls {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                assert_eq!(refusal(&mut browser, endpoint, &form).await, Some(AppError::Forbidden), "{who} {endpoint}");
            }
        }
    }

    async fn the_demo_admin_may_do_all_of_it(db: Db) {
        let mut app = TestApp::new(db).await;
        let calls = admin_calls(&app).await;
        app.login_demo("admin").await;
        for (endpoint, form) in &calls {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(refusal(&mut app, endpoint, &form).await, None, "{endpoint}");
        }
    }

    async fn an_admin_of_another_unit_cannot_reach_into_this_one(db: Db) {
        let app = TestApp::new(db).await;
        app.add_user("js.admin", "JS", &[Role::Admin], "jiangsu2026").await;
        let calls = admin_calls(&app).await;
        let mut other = app.new_browser();
        other.login("js.admin", "jiangsu2026").await.unwrap();
        for (endpoint, form) in &calls {
            if matches!(*endpoint, "list_units" | "list_users" | "list_audit") {
                continue;
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(refusal(&mut other, endpoint, &form).await, Some(AppError::Forbidden), "{endpoint}");
        }
        // Their lists show only their own subtree.
        let units: Vec<app::admin::units::UnitView> = other.call("list_units", &[]).await.unwrap();
        let codes: Vec<&str> = units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes, vec!["JS", "JS-NJ"]);
        let users: Vec<app::admin::users::UserView> = other.call("list_users", &[("query", "")]).await.unwrap();
        let mut names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
        names.sort_unstable();
        // The demo's Jiangsu examiners (provincial and Nanjing) and the new admin; nobody from Zhejiang or Hebei.
        assert_eq!(names, vec!["examiner", "examiner3", "js.admin"]);
    }

    async fn a_city_admin_cannot_touch_the_province_above(db: Db) {
        let app = TestApp::new(db).await;
        app.add_user("hz.admin", "ZJ-HZ", &[Role::Admin], "hangzhou2026").await;
        let mut city = app.new_browser();
        city.login("hz.admin", "hangzhou2026").await.unwrap();
        let province = app.unit_id("ZJ").await.to_string();
        let sibling = app.unit_id("ZJ-NB").await.to_string();
        assert_eq!(
            refusal(&mut city, "create_unit", &[("parent_id", &province), ("code", "ZJ-WZ"), ("name", "温州市生态环境局")]).await,
            Some(AppError::Forbidden)
        );
        assert_eq!(
            refusal(&mut city, "update_unit", &[("unit_id", &sibling), ("code", "ZJ-NB"), ("name", "改名")]).await,
            Some(AppError::Forbidden)
        );
        let own = app.unit_id("ZJ-HZ").await.to_string();
        assert_eq!(
            refusal(&mut city, "update_unit", &[("unit_id", &own), ("code", "ZJ-HZ"), ("name", "改名")]).await,
            Some(AppError::Forbidden),
            "an admin does not rename their own unit; the level above does"
        );
        let admin_id = app.user_id("admin").await.to_string();
        assert_eq!(refusal(&mut city, "get_user", &[("user_id", &admin_id)]).await, Some(AppError::Forbidden));
    }

    async fn admin_pages_send_visitors_to_login_and_refuse_other_roles(db: Db) {
        let mut app = TestApp::new(db).await;
        for path in ["/", "/admin/units", "/admin/users", "/admin/users/new", "/admin/import", "/admin/audit"] {
            let res = app.get(path).await;
            assert_eq!(res.status, StatusCode::FOUND, "{path}");
            assert_eq!(res.location().as_deref(), Some("/login"), "{path}");
        }
        app.login_demo("trainee").await;
        for path in ["/admin/units", "/admin/users", "/admin/import", "/admin/audit"] {
            let res = app.get(path).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
            assert!(res.text().contains("您没有权限进行此操作"), "{path}");
        }
        assert_eq!(app.get("/").await.status, StatusCode::OK);
    }

    async fn pages_speak_chinese_first_and_english_on_request(db: Db) {
        let mut app = TestApp::new(db).await;
        let page = app.get("/login").await;
        assert!(page.text().contains(r#"<html lang="zh-CN""#));
        assert!(page.text().contains("登录"));
        let switch = app.post_form("set_locale", &[("locale", "en")], "/login").await;
        assert_eq!(switch.status, StatusCode::FOUND);
        let cookie = switch.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
        assert!(cookie.starts_with("lb_lang=en"), "{cookie}");
        app.set_locale_cookie("en");
        let page = app.get("/login").await;
        assert!(page.text().contains(r#"<html lang="en""#));
        assert!(page.text().contains("Log in"));
        assert!(!page.text().contains("使用单位分配的账号"));
    }

    async fn an_unknown_address_is_a_404_page_in_the_ui_language(db: Db) {
        let mut app = TestApp::new(db).await;
        let res = app.get("/no/such/page").await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert!(res.text().contains("页面不存在"));
    }
}
