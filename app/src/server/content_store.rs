//! Versioned content in the database: import (idempotent upsert by id, a changed item becomes a new version),
//! loading a given version, and the bigram search index over published text.

use crate::content::check::ContentSet;
use crate::content::search;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

/// One item as stored: its kind, stable id, title, JSON body and searchable text (if trainees search it).
pub struct StoredItem {
    pub kind: &'static str,
    pub key: String,
    pub title: String,
    pub body: String,
    pub search_text: Option<String>,
}

/// Flattens a checked content set into items to store.
pub fn items(set: &ContentSet) -> Vec<StoredItem> {
    fn json<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }
    let mut out = Vec::new();
    for (_, law) in &set.laws {
        out.push(StoredItem {
            kind: "law",
            key: law.id.clone(),
            title: law.name.clone(),
            body: json(law),
            search_text: None,
        });
    }
    for (_, i) in &set.industries {
        out.push(StoredItem {
            kind: "industry",
            key: i.id.clone(),
            title: i.name_zh.clone(),
            body: json(i),
            search_text: None,
        });
    }
    for (_, q) in &set.questions {
        out.push(StoredItem {
            kind: "question",
            key: q.id.clone(),
            title: q.stem.chars().take(60).collect(),
            body: json(q),
            search_text: None,
        });
    }
    for (_, c) in &set.courses {
        out.push(StoredItem {
            kind: "course",
            key: c.id.clone(),
            title: c.title.clone(),
            body: json(c),
            search_text: None,
        });
    }
    for (_, l) in &set.lessons {
        out.push(StoredItem {
            kind: "lesson",
            key: l.meta.id.clone(),
            title: l.meta.title.clone(),
            body: json(l),
            search_text: Some(format!(
                "{}\n{}",
                l.meta.title,
                super::markdown::plain_text(&l.body)
            )),
        });
    }
    for (_, s) in &set.scenarios {
        let steps: Vec<String> = s
            .step
            .iter()
            .map(|st| format!("{} {}", st.title, st.prompt))
            .collect();
        out.push(StoredItem {
            kind: "scenario",
            key: s.id.clone(),
            title: s.title.clone(),
            body: json(s),
            search_text: Some(format!(
                "{}\n{}\n{}",
                s.title,
                super::markdown::plain_text(&s.briefing.text),
                super::markdown::plain_text(&steps.join("\n"))
            )),
        });
    }
    for (_, c) in &set.cases {
        out.push(StoredItem {
            kind: "case",
            key: c.meta.id.clone(),
            title: c.meta.title.clone(),
            body: json(c),
            search_text: Some(format!(
                "{}\n{}\n{}\n{}",
                c.meta.title,
                c.meta.region,
                c.meta.outcome,
                super::markdown::plain_text(&c.body)
            )),
        });
    }
    // Examiners' material: rubrics and the model-answer basis of case-file tasks are not searchable by trainees.
    for (_, r) in &set.rubrics {
        out.push(StoredItem {
            kind: "rubric",
            key: r.id.clone(),
            title: r.title.clone(),
            body: json(r),
            search_text: None,
        });
    }
    for (_, t) in &set.templates {
        out.push(StoredItem {
            kind: "doc_template",
            key: t.id.clone(),
            title: t.title.clone(),
            body: json(t),
            search_text: None,
        });
    }
    for (_, f) in &set.casefiles {
        out.push(StoredItem {
            kind: "casefile",
            key: f.id.clone(),
            title: f.title.clone(),
            body: json(f),
            search_text: None,
        });
    }
    out
}

pub fn hash(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What happened to one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upsert {
    Created,
    Updated,
    Unchanged,
}

/// Stores one item: a new item gets version 1, a changed one the next version (published at once); an unchanged
/// one is left alone. Old versions are never touched.
pub async fn upsert(
    conn: &mut AnyConnection,
    item: &StoredItem,
    source: &str,
    created_by: Option<i64>,
    now: i64,
) -> Result<Upsert, sqlx::Error> {
    let digest = hash(&item.body);
    let existing = sqlx::query(
        "select i.content_id, i.latest_version, v.hash from content_item i \
         join content_version v on v.content_id = i.content_id and v.version = i.latest_version \
         where i.kind = $1 and i.item_key = $2",
    )
    .bind(item.kind)
    .bind(&item.key)
    .fetch_optional(&mut *conn)
    .await?;
    let (content_id, version, outcome) = match existing {
        Some(row) => {
            let content_id: i64 = row.try_get("content_id")?;
            let latest: i64 = row.try_get("latest_version")?;
            let old_hash: String = row.try_get("hash")?;
            if old_hash == digest {
                return Ok(Upsert::Unchanged);
            }
            sqlx::query(
                "update content_item set title = $1, latest_version = $2, published_version = $2, \
                 status = 'published', updated_at = $3 where content_id = $4",
            )
            .bind(&item.title)
            .bind(latest + 1)
            .bind(now)
            .bind(content_id)
            .execute(&mut *conn)
            .await?;
            (content_id, latest + 1, Upsert::Updated)
        }
        None => {
            let content_id: i64 = sqlx::query_scalar(
                "insert into content_item (kind, item_key, title, latest_version, published_version, status, updated_at) \
                 values ($1, $2, $3, 1, 1, 'published', $4) returning content_id",
            )
            .bind(item.kind)
            .bind(&item.key)
            .bind(&item.title)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            (content_id, 1, Upsert::Created)
        }
    };
    sqlx::query(
        "insert into content_version (content_id, version, hash, title, body, source, created_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(content_id)
    .bind(version)
    .bind(&digest)
    .bind(&item.title)
    .bind(&item.body)
    .bind(source)
    .bind(created_by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if let Some(text) = &item.search_text {
        index(
            conn,
            content_id,
            item.kind,
            &item.key,
            &item.title,
            text,
            "/",
        )
        .await?;
    }
    Ok(outcome)
}

/// Replaces an item's entry in the search index.
pub async fn index(
    conn: &mut AnyConnection,
    content_id: i64,
    kind: &str,
    key: &str,
    title: &str,
    text: &str,
    scope_path: &str,
) -> Result<(), sqlx::Error> {
    unindex(conn, content_id).await?;
    let doc_id: i64 = sqlx::query_scalar(
        "insert into search_doc (content_id, kind, item_key, title, text, scope_path) values ($1, $2, $3, $4, $5, $6) \
         returning doc_id",
    )
    .bind(content_id)
    .bind(kind)
    .bind(key)
    .bind(title)
    .bind(text)
    .bind(scope_path)
    .fetch_one(&mut *conn)
    .await?;
    let mut terms = search::terms(text);
    // Title words count three times: a match in the title ranks first.
    for (term, n) in search::terms(title) {
        *terms.entry(term).or_insert(0) += 3 * n;
    }
    for (term, tf) in terms {
        sqlx::query("insert into search_term (term, doc_id, tf) values ($1, $2, $3)")
            .bind(term)
            .bind(doc_id)
            .bind(tf)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn unindex(conn: &mut AnyConnection, content_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("delete from search_term where doc_id in (select doc_id from search_doc where content_id = $1)")
        .bind(content_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from search_doc where content_id = $1")
        .bind(content_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One search hit.
#[derive(Clone, Debug)]
pub struct Hit {
    pub kind: String,
    pub key: String,
    pub title: String,
    pub snippet: String,
    pub score: i64,
}

/// Published documents matching every term of the query, best first, visible within `viewer_path`'s scope.
pub async fn search(
    conn: &mut AnyConnection,
    query: &str,
    viewer_path: &str,
    limit: i64,
) -> Result<Vec<Hit>, sqlx::Error> {
    let terms = search::query_terms(query);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..terms.len()).map(|i| format!("${}", i + 1)).collect();
    let n = terms.len();
    // A document is visible when it is national ('/') or scoped to a unit on the viewer's path.
    let sql = format!(
        "select d.kind, d.item_key, d.title, d.text, cast(sum(t.tf) as bigint) as score from search_term t \
         join search_doc d on d.doc_id = t.doc_id \
         where t.term in ({}) and (d.scope_path = '/' or ${} like d.scope_path || '%') \
         group by d.doc_id, d.kind, d.item_key, d.title, d.text having count(*) = {n} \
         order by score desc, d.title limit ${}",
        placeholders.join(", "),
        n + 1,
        n + 2
    );
    let mut q = sqlx::query(&sql);
    for t in &terms {
        q = q.bind(t);
    }
    let rows = q.bind(viewer_path).bind(limit).fetch_all(conn).await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let text: String = row.try_get("text")?;
        hits.push(Hit {
            kind: row.try_get("kind")?,
            key: row.try_get("item_key")?,
            title: row.try_get("title")?,
            snippet: search::snippet(&text, query, 80),
            score: row.try_get("score")?,
        });
    }
    Ok(hits)
}

/// The body of the published version of an item, with its version id.
pub async fn published(
    conn: &mut AnyConnection,
    kind: &str,
    key: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let row = sqlx::query(
        "select v.version_id, v.body from content_item i join content_version v \
         on v.content_id = i.content_id and v.version = i.published_version \
         where i.kind = $1 and i.item_key = $2 and i.status <> 'archived'",
    )
    .bind(kind)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get("version_id")?, r.try_get("body")?)))
        .transpose()
}

/// The body of one exact version: what an attempt started on that version keeps reading.
pub async fn version_body(
    conn: &mut AnyConnection,
    version_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select body from content_version where version_id = $1")
        .bind(version_id)
        .fetch_optional(conn)
        .await
}

/// Bodies of all published items of a kind.
pub async fn published_all(
    conn: &mut AnyConnection,
    kind: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select v.body from content_item i join content_version v on v.content_id = i.content_id \
         and v.version = i.published_version where i.kind = $1 and i.status = 'published' order by i.item_key",
    )
    .bind(kind)
    .fetch_all(conn)
    .await
}

pub async fn count_items(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from content_item")
        .fetch_one(conn)
        .await
}

const VISIBLE: &str = "from content_item i join content_version v on v.content_id = i.content_id \
     and v.version = i.published_version left join unit u on u.unit_id = i.scope_unit_id \
     where i.kind = $1 and i.published_version is not null and i.status <> 'archived' and (i.scope_unit_id is null or $2 like u.path || '%')";

/// Published items of a kind that a person in the unit at `viewer_path` may see: national ones and those
/// published for a unit on their path.
pub async fn visible_all(
    conn: &mut AnyConnection,
    kind: &str,
    viewer_path: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(&format!("select v.body {VISIBLE} order by i.item_key"))
        .bind(kind)
        .bind(viewer_path)
        .fetch_all(conn)
        .await
}

/// One published item, if the viewer may see it.
pub async fn visible_one(
    conn: &mut AnyConnection,
    kind: &str,
    key: &str,
    viewer_path: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(&format!("select v.body {VISIBLE} and i.item_key = $3"))
        .bind(kind)
        .bind(viewer_path)
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// The laws, by id, for showing citations.
pub async fn laws(
    conn: &mut AnyConnection,
) -> Result<std::collections::HashMap<String, crate::content::model::Law>, sqlx::Error> {
    let bodies = published_all(conn, "law").await?;
    Ok(bodies
        .iter()
        .filter_map(|b| serde_json::from_str::<crate::content::model::Law>(b).ok())
        .map(|l| (l.id.clone(), l))
        .collect())
}

/// A citation as officers write it: 《法典》第1108条（原《大气污染防治法》第99条第三项）.
pub fn cite(
    c: &crate::content::model::Citation,
    laws: &std::collections::HashMap<String, crate::content::model::Law>,
) -> String {
    let name = |id: &str| {
        laws.get(id)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let item = |i: &Option<String>| i.as_ref().map(|i| format!("第{i}项")).unwrap_or_default();
    let mut out = format!("{}第{}条{}", name(&c.law), c.article, item(&c.item));
    if !c.old.is_empty() {
        let olds: Vec<String> = c
            .old
            .iter()
            .map(|o| format!("原{}第{}条{}", name(&o.law), o.article, item(&o.item)))
            .collect();
        out.push_str(&format!("（{}）", olds.join("、")));
    }
    if c.verified == Some(false) {
        out.push_str(" [待核]");
    }
    out
}
