//! Admins at work: the unit tree, people, and roster import (CSV and XLSX, all or nothing).

use app::admin::import::ImportReport;
use app::admin::units::UnitView;
use app::admin::users::UserView;
use app::domain::{Role, UnitLevel};
use app::error::AppError;
use axum::http::StatusCode;
use lianbing_tests::{Db, TestApp, on_both};

async fn admin(db: Db) -> TestApp {
    let mut app = TestApp::new(db).await;
    app.login_demo("admin").await;
    app
}

/// Uploads a roster without JavaScript and follows the redirect to its report.
async fn import(app: &mut TestApp, name: &str, bytes: &[u8]) -> ImportReport {
    let res = app.upload("import_roster", "file", name, bytes).await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.text());
    let location = res.location().unwrap();
    let id = location
        .rsplit_once("id=")
        .map(|(_, id)| id.to_owned())
        .unwrap_or_else(|| panic!("no report id in {location}"));
    let page = app.get(&location).await;
    assert_eq!(page.status, StatusCode::OK);
    app.call("get_import", &[("id", &id)]).await.unwrap()
}

async fn usernames(app: &mut TestApp) -> Vec<String> {
    let users: Vec<UserView> = app.call("list_users", &[("query", "")]).await.unwrap();
    let mut names: Vec<String> = users.into_iter().map(|u| u.username).collect();
    names.sort();
    names
}

on_both! {
    async fn an_admin_adds_a_county_below_a_city_and_it_joins_the_tree(db: Db) {
        let mut app = admin(db).await;
        let hz = app.unit_id("ZJ-HZ").await.to_string();
        let id: i64 = app.call("create_unit", &[("parent_id", &hz), ("code", "zj-hz-bj"), ("name", "杭州市生态环境局滨江分局")]).await.unwrap();
        let units: Vec<UnitView> = app.call("list_units", &[]).await.unwrap();
        let created = units.iter().find(|u| u.id == id).unwrap();
        assert_eq!(created.code, "ZJ-HZ-BJ");
        assert_eq!(created.level, UnitLevel::County);
        assert_eq!(created.indent, 2);
        // Tree order: the new county sits among Hangzhou's children, before Ningbo.
        let codes: Vec<&str> = units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes, vec!["ZJ", "ZJ-HZ", "ZJ-HZ-BJ", "ZJ-HZ-XH", "ZJ-HZ-XS", "ZJ-NB"]);
        assert_eq!(app.audit_actions("ZJ-HZ-BJ").await, vec!["unit.create"]);
    }

    async fn unit_codes_are_unique_and_counties_have_no_children(db: Db) {
        let mut app = admin(db).await;
        let hz = app.unit_id("ZJ-HZ").await.to_string();
        let dup = app.call::<i64>("create_unit", &[("parent_id", &hz), ("code", "JS-NJ"), ("name", "重复代码")]).await;
        assert_eq!(dup, Err(AppError::field("code", "err.unit_code_taken")));
        let xh = app.unit_id("ZJ-HZ-XH").await.to_string();
        let deep = app.call::<i64>("create_unit", &[("parent_id", &xh), ("code", "ZJ-HZ-XH-1"), ("name", "执法中队")]).await;
        assert_eq!(deep, Err(AppError::field("parent_id", "err.unit_too_deep")));
        let bad = app.call::<i64>("create_unit", &[("parent_id", &hz), ("code", "有中文"), ("name", "x")]).await;
        assert_eq!(bad, Err(AppError::field("code", "err.unit_code")));
    }

    async fn an_admin_renames_a_unit_below_their_own(db: Db) {
        let mut app = admin(db).await;
        let nb = app.unit_id("ZJ-NB").await.to_string();
        app.call::<()>("update_unit", &[("unit_id", &nb), ("code", "ZJ-NB"), ("name", "宁波市生态环境局（新）")]).await.unwrap();
        let units: Vec<UnitView> = app.call("list_units", &[]).await.unwrap();
        assert!(units.iter().any(|u| u.name == "宁波市生态环境局（新）"));
    }

    async fn an_admin_creates_edits_and_finds_people_in_scope(db: Db) {
        let mut app = admin(db).await;
        let nb = app.unit_id("ZJ-NB").await.to_string();
        let id: i64 = app
            .call("create_user", &[
                ("username", "chen.qi"), ("display_name", "陈七"), ("unit_id", &nb), ("cert_no", "zj-2025-0099"),
                ("password", "initial123"), ("role_trainee", "on"), ("role_examiner", "on"),
            ])
            .await
            .unwrap();
        let found: Vec<UserView> = app.call("list_users", &[("query", "ZJ-2025")]).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].roles, vec![Role::Trainee, Role::Examiner]);
        assert!(found[0].must_change_password);
        let dup = app
            .call::<i64>("create_user", &[
                ("username", "CHEN.QI"), ("display_name", "重名"), ("unit_id", &nb), ("cert_no", ""), ("password", "initial123"),
                ("role_trainee", "on"),
            ])
            .await;
        assert_eq!(dup, Err(AppError::field("username", "err.username_taken")));
        let no_role = app
            .call::<i64>("create_user", &[
                ("username", "no.role"), ("display_name", "无角色"), ("unit_id", &nb), ("cert_no", ""), ("password", "initial123"),
            ])
            .await;
        assert_eq!(no_role, Err(AppError::field("roles", "err.roles_empty")));

        let hz = app.unit_id("ZJ-HZ").await.to_string();
        let id = id.to_string();
        app.call::<()>("update_user", &[
            ("user_id", &id), ("display_name", "陈七"), ("unit_id", &hz), ("cert_no", ""), ("active", "on"), ("role_admin", "on"),
        ])
        .await
        .unwrap();
        let user: UserView = app.call("get_user", &[("user_id", &id)]).await.unwrap();
        assert_eq!(user.roles, vec![Role::Admin]);
        assert_eq!(user.unit_name, "杭州市生态环境局");
        assert_eq!(user.cert_no, None);
        // Moving someone out of one's scope is refused.
        let js = app.unit_id("JS-NJ").await.to_string();
        let out = app
            .call::<()>("update_user", &[
                ("user_id", &id), ("display_name", "陈七"), ("unit_id", &js), ("cert_no", ""), ("active", "on"), ("role_admin", "on"),
            ])
            .await;
        assert_eq!(out, Err(AppError::Forbidden));
        assert_eq!(app.audit_actions("chen.qi").await, vec!["user.create", "user.update"]);
    }

    async fn an_admin_cannot_disable_or_demote_themselves(db: Db) {
        let mut app = admin(db).await;
        let me = app.user_id("admin").await.to_string();
        let zj = app.unit_id("ZJ").await.to_string();
        let res = app
            .call::<()>("update_user", &[("user_id", &me), ("display_name", "省厅管理员"), ("unit_id", &zj), ("cert_no", ""), ("role_admin", "on")])
            .await;
        assert_eq!(res, Err(AppError::field("active", "err.self_demote")));
    }

    async fn a_roster_with_one_bad_row_imports_nobody_and_names_every_problem(db: Db) {
        let mut app = admin(db).await;
        let csv = "用户名,姓名,单位代码,角色,执法证号,初始密码\n\
                   wu.yi,吴一,ZJ-HZ,学员,,welcome123\n\
                   zheng.er,郑二,JS-NJ,学员,,welcome123\n\
                   feng.san,冯三,ZJ-XX,学员,,welcome123\n\
                   trainee,重名,ZJ-HZ,学员,,welcome123\n\
                   jiang.si,蒋四,ZJ-NB,队长,,welcome\n";
        let report = import(&mut app, "roster.csv", csv.as_bytes()).await;
        assert!(!report.imported);
        let problems: Vec<(usize, Option<&str>, &str)> =
            report.issues.iter().map(|i| (i.row, i.column.as_deref(), i.key.as_str())).collect();
        assert_eq!(problems, vec![
            (3, Some("单位代码"), "import.err_unit_scope"),
            (4, Some("单位代码"), "import.err_unit_unknown"),
            (5, Some("用户名"), "err.username_taken"),
            (6, Some("角色"), "err.role_unknown"),
            (6, Some("初始密码"), "err.password_short"),
        ]);
        assert!(!usernames(&mut app).await.contains(&"wu.yi".to_owned()), "nothing imported while any row fails");
        // The report page shows the reasons in Chinese.
        let page = app.get(&format!("/admin/import?id={}", report.id)).await;
        assert!(page.text().contains("该单位不在您的管辖范围内"), "{}", page.text());
    }

    async fn a_clean_csv_roster_imports_everyone_who_must_then_change_their_password(db: Db) {
        let mut app = admin(db).await;
        let csv = "\u{feff}username,name,unit_code,roles,cert_no,password\r\n\
                   wu.yi,吴一,ZJ-HZ,trainee,,welcome123\r\n\
                   feng.san,冯三,zj-nb,\"trainee,examiner\",ZJ-2025-0001,welcome456\r\n";
        let report = import(&mut app, "roster.csv", csv.as_bytes()).await;
        assert!(report.imported, "{:?}", report.issues);
        assert_eq!(report.row_count, 2);
        let users: Vec<UserView> = app.call("list_users", &[("query", "feng")]).await.unwrap();
        assert_eq!(users[0].roles, vec![Role::Trainee, Role::Examiner]);
        assert!(users[0].must_change_password);
        let mut person = app.new_browser();
        person.login("wu.yi", "welcome123").await.unwrap();
        assert_eq!(person.call::<app::home::HomeData>("home_summary", &[]).await.unwrap_err(), AppError::PasswordChangeRequired);
    }

    async fn an_xlsx_roster_with_chinese_headers_imports(db: Db) {
        let mut app = admin(db).await;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let rows = [
            ["姓名", "用户名", "单位代码", "角色", "初始密码"],
            ["褚五", "chu.wu", "ZJ-HZ-XS", "学员、考官", "welcome789"],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
        let bytes = book.save_to_buffer().unwrap();
        let report = import(&mut app, "名单.xlsx", &bytes).await;
        assert!(report.imported, "{:?}", report.issues);
        assert!(usernames(&mut app).await.contains(&"chu.wu".to_owned()));
    }

    async fn a_file_that_is_no_roster_gets_a_clear_message(db: Db) {
        let mut app = admin(db).await;
        let report = import(&mut app, "photo.xlsx", b"PK\x03\x04 not really a zip").await;
        assert!(!report.imported);
        assert_eq!(report.issues[0].key, "import.err_xlsx");
        let empty = app.upload("import_roster", "file", "empty.csv", b"").await;
        assert_eq!(empty.status, StatusCode::FOUND);
        let back = app.get(empty.location().unwrap().trim_start_matches("http://lianbing.test")).await;
        assert!(back.text().contains("请选择要上传的文件"), "{}", back.text());
    }

    async fn an_import_report_is_only_for_the_admin_who_ran_it(db: Db) {
        let mut app = admin(db).await;
        let report = import(&mut app, "r.csv", "用户名,姓名,单位代码,角色,初始密码\nx.y,某,ZJ,学员,welcome123\n".as_bytes()).await;
        app.add_user("other.admin", "ZJ", &[Role::Admin], "another2026").await;
        let mut other = app.new_browser();
        other.login("other.admin", "another2026").await.unwrap();
        let res = other.call::<ImportReport>("get_import", &[("id", &report.id.to_string())]).await;
        assert_eq!(res, Err(AppError::NotFound));
    }
}
