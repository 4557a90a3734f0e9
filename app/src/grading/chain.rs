//! The marks' audit log: append-only, each entry hashed with the one before it (SHA-256), so an entry edited or
//! removed after the fact breaks the chain at that point. `lianbing audit verify` walks it.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

/// One thing that happened to a mark.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entry {
    pub at: i64,
    pub actor_id: Option<i64>,
    /// assign | mark | lock | change | arbitrate | appeal
    pub kind: String,
    pub submission_id: Option<i64>,
    pub examiner_id: Option<i64>,
    pub criterion: String,
    pub points: Option<i64>,
    pub reason: String,
}

/// The hash of an entry following `prev`: every field, separated so no two entries can read the same.
pub fn hash(prev: &str, e: &Entry) -> String {
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let text = [
        prev.to_owned(),
        e.at.to_string(),
        opt(e.actor_id),
        e.kind.clone(),
        opt(e.submission_id),
        opt(e.examiner_id),
        e.criterion.clone(),
        opt(e.points),
        e.reason.clone(),
    ]
    .join("\u{1f}");
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Appends an entry. The head moves by compare-and-swap, so two instances appending at once both land, one after
/// the other, on one chain.
pub async fn append(conn: &mut AnyConnection, e: &Entry) -> Result<(), sqlx::Error> {
    for _ in 0..50 {
        let (head, entries): (String, i64) =
            sqlx::query_as("select head, entries from mark_chain where chain_id = 1")
                .fetch_one(&mut *conn)
                .await?;
        let h = hash(&head, e);
        let moved = sqlx::query(
            "update mark_chain set head = $1, entries = $2 where chain_id = 1 and head = $3",
        )
        .bind(&h)
        .bind(entries + 1)
        .bind(&head)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if moved == 1 {
            sqlx::query(
                "insert into mark_log (at, actor_id, kind, submission_id, examiner_id, criterion, points, reason, prev_hash, hash) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(e.at)
            .bind(e.actor_id)
            .bind(&e.kind)
            .bind(e.submission_id)
            .bind(e.examiner_id)
            .bind(&e.criterion)
            .bind(e.points)
            .bind(&e.reason)
            .bind(&head)
            .bind(&h)
            .execute(&mut *conn)
            .await?;
            return Ok(());
        }
    }
    Err(sqlx::Error::Protocol(
        "mark log: the chain head kept moving".into(),
    ))
}

/// What a walk of the chain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub entries: i64,
    /// The first entry that does not follow from the one before (or the head, if entries are missing at the end).
    pub broken_at: Option<i64>,
}

pub async fn verify(conn: &mut AnyConnection) -> Result<Verdict, sqlx::Error> {
    let rows = sqlx::query(
        "select log_id, at, actor_id, kind, submission_id, examiner_id, criterion, points, reason, prev_hash, hash \
         from mark_log order by log_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut head = String::new();
    let mut n = 0;
    for row in &rows {
        let id: i64 = row.try_get("log_id")?;
        let e = Entry {
            at: row.try_get("at")?,
            actor_id: row.try_get("actor_id")?,
            kind: row.try_get("kind")?,
            submission_id: row.try_get("submission_id")?,
            examiner_id: row.try_get("examiner_id")?,
            criterion: row.try_get("criterion")?,
            points: row.try_get("points")?,
            reason: row.try_get("reason")?,
        };
        let prev: String = row.try_get("prev_hash")?;
        let stored: String = row.try_get("hash")?;
        if prev != head || hash(&head, &e) != stored {
            return Ok(Verdict {
                entries: n,
                broken_at: Some(id),
            });
        }
        head = stored;
        n += 1;
    }
    let (chain_head, entries): (String, i64) =
        sqlx::query_as("select head, entries from mark_chain where chain_id = 1")
            .fetch_one(&mut *conn)
            .await?;
    let broken_at = (chain_head != head || entries != n).then_some(n + 1);
    Ok(Verdict {
        entries: n,
        broken_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_field_or_predecessor_changes_the_hash() {
        let e = Entry {
            at: 1,
            kind: "mark".into(),
            points: Some(1500),
            ..Entry::default()
        };
        let h = hash("", &e);
        assert_eq!(h.len(), 64);
        assert_eq!(h, hash("", &e.clone()));
        assert_ne!(h, hash("x", &e));
        assert_ne!(
            h,
            hash(
                "",
                &Entry {
                    points: Some(1600),
                    ..e.clone()
                }
            )
        );
        assert_ne!(
            h,
            hash(
                "",
                &Entry {
                    criterion: "a".into(),
                    ..e
                }
            )
        );
    }
}
