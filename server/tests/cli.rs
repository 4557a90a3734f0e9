//! The `lianbing` binary as an operator uses it: clear one-line errors, user creation from standard input,
//! migrations, and an online SQLite backup.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn lianbing(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lianbing"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env("LIANBING_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lianbing");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temp_db(name: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("lianbing-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/lianbing.db", dir.display());
    (dir, url)
}

fn assert_one_clean_line(out: &Output) {
    let err = stderr(out);
    assert!(!out.status.success());
    assert_eq!(err.trim_end().lines().count(), 1, "one line, got: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn bad_arguments_get_one_line_and_exit_two() {
    let out = lianbing(&["serve", "--no-such-flag"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_one_clean_line(&out);
    assert!(stderr(&out).contains("--no-such-flag"));
}

#[test]
fn a_malformed_database_url_is_one_clear_line() {
    let out = lianbing(&["migrate", "--database-url", "mysql://somewhere/db"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_one_clean_line(&out);
    assert!(stderr(&out).contains("sqlite:// or postgres://"));
}

#[test]
fn an_unreachable_database_is_one_clear_line_without_the_password() {
    let out = lianbing(
        &[
            "migrate",
            "--database-url",
            "postgres://lb:hunter2@127.0.0.1:1/none",
        ],
        None,
    );
    assert_one_clean_line(&out);
    let err = stderr(&out);
    assert!(err.contains("cannot open database"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn a_user_created_from_standard_input_lands_in_the_top_unit() {
    let (dir, url) = temp_db("user");
    let out = lianbing(
        &[
            "user",
            "create",
            "--database-url",
            &url,
            "--username",
            "Chief",
            "--role",
            "admin,examiner",
        ],
        Some("chief2026\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("created chief"), "{said}");
    let again = lianbing(
        &[
            "user",
            "create",
            "--database-url",
            &url,
            "--username",
            "chief",
            "--role",
            "admin",
        ],
        Some("chief2026\n"),
    );
    assert_one_clean_line(&again);
    assert!(stderr(&again).contains("taken"));
    let weak = lianbing(
        &[
            "user",
            "create",
            "--database-url",
            &url,
            "--username",
            "weak",
            "--role",
            "trainee",
        ],
        Some("short\n"),
    );
    assert_one_clean_line(&weak);
    assert!(stderr(&weak).contains("at least 8"), "{}", stderr(&weak));
    let bad_role = lianbing(
        &[
            "user",
            "create",
            "--database-url",
            &url,
            "--username",
            "x.y",
            "--role",
            "boss",
        ],
        Some("chief2026\n"),
    );
    assert_one_clean_line(&bad_role);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn backup_copies_a_live_sqlite_database_and_points_postgres_to_pg_dump() {
    let (dir, url) = temp_db("backup");
    let out = lianbing(
        &[
            "user",
            "create",
            "--database-url",
            &url,
            "--username",
            "keeper",
            "--role",
            "admin",
        ],
        Some("keeper2026\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let copy = dir.join("copy.db");
    let out = lianbing(
        &[
            "backup",
            "--database-url",
            &url,
            "--to",
            copy.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // The copy is a database of its own with the same accounts.
    let copy_url = format!("sqlite://{}", copy.display());
    let dup = lianbing(
        &[
            "user",
            "create",
            "--database-url",
            &copy_url,
            "--username",
            "keeper",
            "--role",
            "admin",
        ],
        Some("keeper2026\n"),
    );
    assert!(stderr(&dup).contains("taken"), "{}", stderr(&dup));
    let exists = lianbing(
        &[
            "backup",
            "--database-url",
            &url,
            "--to",
            copy.to_str().unwrap(),
        ],
        None,
    );
    assert_one_clean_line(&exists);
    let pg = lianbing(
        &[
            "backup",
            "--database-url",
            "postgres://127.0.0.1/test",
            "--to",
            "x.dump",
        ],
        None,
    );
    assert_one_clean_line(&pg);
    assert!(stderr(&pg).contains("pg_dump"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn migrate_prepares_an_empty_database() {
    let (dir, url) = temp_db("migrate");
    let out = lianbing(&["migrate", "--database-url", &url], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.join("lianbing.db").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn audit_verify_proves_the_mark_log_intact_and_names_an_edited_entry() {
    let (dir, url) = temp_db("audit");
    assert!(
        lianbing(&["migrate", "--database-url", &url], None)
            .status
            .success()
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        for (i, kind) in ["assign", "mark", "lock"].iter().enumerate() {
            let e = app::grading::chain::Entry {
                at: 1_800_000_000 + i as i64,
                actor_id: Some(7),
                kind: (*kind).into(),
                submission_id: Some(1),
                examiner_id: Some(7),
                criterion: "c1".into(),
                points: Some(2500),
                reason: String::new(),
            };
            app::grading::chain::append(&mut conn, &e).await.unwrap();
        }
    });
    let out = lianbing(&["audit", "verify", "--database-url", &url], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "audit: 3 entries, chain intact"
    );
    // Someone with database access quietly raises a mark.
    runtime.block_on(async {
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query("update mark_log set points = 3000 where log_id = 2")
            .execute(&pool)
            .await
            .unwrap();
    });
    let out = lianbing(&["audit", "verify", "--database-url", &url], None);
    assert_one_clean_line(&out);
    assert!(
        stderr(&out).contains("chain broken at entry 2"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(dir);
}
