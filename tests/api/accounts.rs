//! Logging in and out, the password policy, lockout, rate limit, session lifetimes and the audit trail.

use app::accounts::SessionUser;
use app::error::AppError;
use app::server::AuthConfig;
use axum::http::StatusCode;
use lianbing_tests::{DEMO_PASSWORD, Db, TestApp, on_both};
use std::time::Duration;

on_both! {
    async fn the_demo_admin_logs_in_and_the_session_knows_who_they_are(db: Db) {
        let mut app = TestApp::new(db).await;
        let before: Option<SessionUser> = app.call("session_user", &[]).await.unwrap();
        assert_eq!(before, None);
        app.login_demo("admin").await;
        let user: SessionUser = app.call::<Option<SessionUser>>("session_user", &[]).await.unwrap().unwrap();
        assert_eq!(user.username, "admin");
        assert_eq!(user.unit_name, "浙江省生态环境厅");
        assert!(user.has(app::domain::Role::Admin));
        assert!(!user.must_change_password);
    }

    async fn unknown_users_and_wrong_passwords_get_the_same_answer(db: Db) {
        let mut app = TestApp::new(db).await;
        assert_eq!(app.login("nobody", DEMO_PASSWORD).await, Err(AppError::BadCredentials));
        assert_eq!(app.login("admin", "wrong-password1").await, Err(AppError::BadCredentials));
        assert_eq!(app.login("", "").await, Err(AppError::BadCredentials));
    }

    async fn five_failures_lock_the_account_even_against_the_right_password(db: Db) {
        let mut app = TestApp::new(db).await;
        for _ in 0..4 {
            assert_eq!(app.login("trainee", "wrong-password1").await, Err(AppError::BadCredentials));
        }
        assert_eq!(app.login("trainee", "wrong-password1").await, Err(AppError::AccountLocked));
        assert_eq!(app.login("trainee", DEMO_PASSWORD).await, Err(AppError::AccountLocked));
        let actions = app.audit_actions("trainee").await;
        assert_eq!(actions.iter().filter(|a| *a == "login.failure").count(), 5);
        assert_eq!(actions.last().map(String::as_str), Some("login.locked"));
        // An admin's password reset lifts the lock.
        let id = app.user_id("trainee").await.to_string();
        let mut admin = app.new_browser();
        admin.login_demo("admin").await;
        admin.call::<()>("reset_password", &[("user_id", &id), ("password", "fresh1234")]).await.unwrap();
        assert_eq!(app.login("trainee", "fresh1234").await, Ok(()));
    }

    async fn the_lock_lifts_after_its_time(db: Db) {
        let auth = AuthConfig { lockout_threshold: 2, lockout_duration: Duration::from_secs(0), ..AuthConfig::default() };
        let mut app = TestApp::with_auth(db, auth).await;
        let _ = app.login("trainee", "wrong-password1").await;
        assert_eq!(app.login("trainee", "wrong-password1").await, Err(AppError::AccountLocked));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(app.login("trainee", DEMO_PASSWORD).await, Ok(()));
    }

    async fn one_address_is_slowed_down_after_too_many_attempts(db: Db) {
        let auth = AuthConfig { login_attempts_per_minute: 3, ..AuthConfig::default() };
        let mut app = TestApp::with_auth(db, auth).await;
        for _ in 0..3 {
            assert_eq!(app.login("nobody", "whatever1").await, Err(AppError::BadCredentials));
        }
        assert_eq!(app.login("admin", DEMO_PASSWORD).await, Err(AppError::RateLimited));
    }

    async fn every_login_success_and_failure_is_audited(db: Db) {
        let mut app = TestApp::new(db).await;
        let _ = app.login("examiner", "wrong-password1").await;
        app.login_demo("examiner").await;
        app.call::<()>("logout", &[]).await.unwrap();
        assert_eq!(app.audit_actions("examiner").await, vec!["login.failure", "login.success", "logout"]);
        let _ = app.login("ghost", "whatever1").await;
        assert_eq!(app.audit_actions("ghost").await, vec!["login.failure"]);
    }

    async fn logging_out_ends_the_session(db: Db) {
        let mut app = TestApp::new(db).await;
        app.login_demo("admin").await;
        let cookie_before_logout = app.state.pool.clone();
        app.call::<()>("logout", &[]).await.unwrap();
        let who: Option<SessionUser> = app.call("session_user", &[]).await.unwrap();
        assert_eq!(who, None);
        let left: i64 = sqlx::query_scalar("select count(*) from session where user_id is not null")
            .fetch_one(&cookie_before_logout)
            .await
            .unwrap();
        assert_eq!(left, 0);
    }

    async fn sessions_end_after_the_absolute_limit_however_active(db: Db) {
        let auth = AuthConfig { absolute_timeout: Duration::from_secs(0), ..AuthConfig::default() };
        let mut app = TestApp::with_auth(db, auth).await;
        app.login_demo("trainee").await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let who: Option<SessionUser> = app.call("session_user", &[]).await.unwrap();
        assert_eq!(who, None);
    }

    async fn the_session_cookie_is_http_only_lax_and_idles_out_in_thirty_minutes(db: Db) {
        let mut app = TestApp::new(db).await;
        let res = app.post("login", &[("username", "admin"), ("password", DEMO_PASSWORD)], "application/json").await;
        let cookie = res.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
        assert!(cookie.starts_with("lb_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
        assert!(cookie.contains("Max-Age=1800"));
        assert!(!cookie.contains("Secure"), "Secure only when configured for TLS");
    }

    async fn an_account_made_by_an_admin_must_change_its_password_first(db: Db) {
        let mut admin = TestApp::new(db).await;
        admin.login_demo("admin").await;
        let unit = admin.unit_id("ZJ-HZ").await.to_string();
        admin
            .call::<i64>("create_user", &[
                ("username", "Zhao.Liu"), ("display_name", "赵六"), ("unit_id", &unit), ("cert_no", ""),
                ("password", "initial123"), ("role_trainee", "on"),
            ])
            .await
            .unwrap();
        let mut user = admin.new_browser();
        user.login("zhao.liu", "initial123").await.unwrap();
        let me: SessionUser = user.call::<Option<SessionUser>>("session_user", &[]).await.unwrap().unwrap();
        assert!(me.must_change_password);
        assert_eq!(user.call::<app::home::HomeData>("home_summary", &[]).await.unwrap_err(), AppError::PasswordChangeRequired);
        // The home page sends them to the password form.
        let page = user.get("/").await;
        assert_eq!(page.status, StatusCode::FOUND);
        assert_eq!(page.location().as_deref(), Some("/account/password"));

        let weak = user.call::<()>("change_password", &[("current", "initial123"), ("new_password", "short"), ("confirm", "short")]).await;
        assert_eq!(weak, Err(AppError::field("new_password", "err.password_short")));
        let mismatch = user
            .call::<()>("change_password", &[("current", "initial123"), ("new_password", "better1234"), ("confirm", "better12345")])
            .await;
        assert_eq!(mismatch, Err(AppError::field("confirm", "err.password_confirm")));
        let wrong = user
            .call::<()>("change_password", &[("current", "nope12345"), ("new_password", "better1234"), ("confirm", "better1234")])
            .await;
        assert_eq!(wrong, Err(AppError::field("current", "err.password_current")));
        user.call::<()>("change_password", &[("current", "initial123"), ("new_password", "better1234"), ("confirm", "better1234")])
            .await
            .unwrap();
        let home: app::home::HomeData = user.call("home_summary", &[]).await.unwrap();
        assert_eq!(home.display_name, "赵六");
        let mut again = admin.new_browser();
        assert_eq!(again.login("zhao.liu", "initial123").await, Err(AppError::BadCredentials));
        assert_eq!(again.login("zhao.liu", "better1234").await, Ok(()));
    }

    async fn changing_the_password_signs_out_other_devices_but_not_this_one(db: Db) {
        let mut phone = TestApp::new(db).await;
        phone.login_demo("trainee").await;
        let mut desk = phone.new_browser();
        desk.login_demo("trainee").await;
        desk.call::<()>("change_password", &[("current", DEMO_PASSWORD), ("new_password", "another123"), ("confirm", "another123")])
            .await
            .unwrap();
        assert!(desk.call::<Option<SessionUser>>("session_user", &[]).await.unwrap().is_some());
        assert!(phone.call::<Option<SessionUser>>("session_user", &[]).await.unwrap().is_none());
    }

    async fn a_disabled_account_cannot_log_in_and_loses_its_sessions(db: Db) {
        let mut trainee = TestApp::new(db).await;
        trainee.login_demo("trainee").await;
        let mut admin = trainee.new_browser();
        admin.login_demo("admin").await;
        let id = admin.user_id("trainee").await.to_string();
        let unit = admin.unit_id("ZJ-HZ-XH").await.to_string();
        admin
            .call::<()>("update_user", &[
                ("user_id", &id), ("display_name", "李执法"), ("unit_id", &unit), ("cert_no", ""), ("role_trainee", "on"),
            ])
            .await
            .unwrap();
        assert!(trainee.call::<Option<SessionUser>>("session_user", &[]).await.unwrap().is_none());
        assert_eq!(trainee.login("trainee", DEMO_PASSWORD).await, Err(AppError::AccountDisabled));
    }

    async fn without_javascript_a_login_redirects_home_with_a_session(db: Db) {
        let mut app = TestApp::new(db).await;
        let res = app.post_form("login", &[("username", "admin"), ("password", DEMO_PASSWORD)], "/login").await;
        assert_eq!(res.status, StatusCode::FOUND);
        assert_eq!(res.location().as_deref(), Some("/"));
        let home = app.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.text().contains("您好，省厅管理员"), "{}", home.text());
    }

    async fn without_javascript_a_failed_login_shows_the_reason_in_chinese(db: Db) {
        let mut app = TestApp::new(db).await;
        let res = app.post_form("login", &[("username", "admin"), ("password", "bad-password1")], "/login").await;
        assert_eq!(res.status, StatusCode::FOUND);
        let back = res.location().unwrap();
        assert!(back.starts_with("http://lianbing.test/login?"), "{back}");
        let path = back.trim_start_matches("http://lianbing.test");
        let page = app.get(path).await;
        assert!(page.text().contains("用户名或密码不正确"), "{}", page.text());
    }

    async fn a_post_from_another_site_is_refused(db: Db) {
        let mut app = TestApp::new(db).await;
        let req = axum::http::Request::post("/api/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "https://evil.example")
            .body(axum::body::Body::from(format!("username=admin&password={DEMO_PASSWORD}")))
            .unwrap();
        let res = app.send(req).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(app.audit_actions("admin").await.is_empty(), "the refused request never reached the login");
    }

    async fn the_health_check_answers_only_while_the_database_does(db: Db) {
        let mut app = TestApp::new(db).await;
        assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
        app.state.pool.close().await;
        assert_eq!(app.get("/healthz").await.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
