//! The two migration trees describe the same schema: same tables, same columns, same order of migrations.

use lianbing_tests::{Db, TestDb};
use std::collections::BTreeMap;

async fn schema(db: Db) -> BTreeMap<String, Vec<String>> {
    let test_db = TestDb::new(db).await;
    let (pool, backend) = server::db::connect(&test_db.url).await.unwrap();
    server::db::migrate(&pool, backend).await.unwrap();
    let rows: Vec<(String, String)> = match db {
        Db::Sqlite => sqlx::query_as(
            "select m.name, p.name from sqlite_master m join pragma_table_info(m.name) p \
             where m.type = 'table' and m.name not like 'sqlite_%' and m.name <> '_sqlx_migrations' order by m.name, p.name",
        )
        .fetch_all(&pool)
        .await
        .unwrap(),
        Db::Postgres => sqlx::query_as(
            "select table_name::text, column_name::text from information_schema.columns \
             where table_schema = 'public' and table_name <> '_sqlx_migrations' order by table_name, column_name",
        )
        .fetch_all(&pool)
        .await
        .unwrap(),
    };
    pool.close().await;
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in rows {
        tables.entry(table).or_default().push(column);
    }
    tables
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migration_trees_give_the_same_tables_and_columns() {
    let sqlite = schema(Db::Sqlite).await;
    let postgres = schema(Db::Postgres).await;
    assert!(
        sqlite.contains_key("app_user") && sqlite.contains_key("session"),
        "{sqlite:?}"
    );
    assert_eq!(sqlite, postgres);
}

#[test]
fn both_migration_trees_have_the_same_migrations() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(format!(
            "{}/../migrations/{dir}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
