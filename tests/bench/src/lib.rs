//! Drives the real `lianbing` binary the way an exam day does: a throwaway database, the server as a child
//! process, an admin setting up a theory stage over HTTP, and many candidates logging in, answering and submitting.
//! The `exam-day` command and the crash test are built from these pieces; `results` times the results table of a
//! large competition written straight into a database.

pub mod api;
pub mod database;
pub mod exam;
pub mod exam_day;
pub mod results;
pub mod server;

use std::path::PathBuf;

/// The password of every demo account, and so of every candidate (they reuse the demo trainee's hash).
pub const PASSWORD: &str = "lianbing2026";

/// The workspace root: the server runs from there so `content/` and the demo file resolve.
pub fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// A private scratch folder, removed on drop.
pub struct Workdir {
    pub path: PathBuf,
}

impl Workdir {
    pub fn new(label: &str) -> anyhow::Result<Workdir> {
        let n: u64 = rand::random();
        let path =
            std::env::temp_dir().join(format!("lianbing-{label}-{}-{n:08x}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Workdir { path })
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
