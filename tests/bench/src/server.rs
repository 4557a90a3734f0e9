//! The server as a child process: build it, start it on a free port, wait until it answers, kill or stop it,
//! restart it on the same database and port, and read its peak memory.

use anyhow::{Context, anyhow, bail};
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Builds `lianbing` in the profile this crate was built in, so a release bench measures a release server.
/// Returns the binary's path.
pub fn build(root: &Path) -> anyhow::Result<PathBuf> {
    let release = !cfg!(debug_assertions);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "-p", "server", "--bin", "lianbing"])
        .arg("--message-format=json-render-diagnostics");
    if release {
        cmd.arg("--release");
    }
    let out = cmd.output().context("cannot run cargo")?;
    if !out.status.success() {
        bail!(
            "building the server failed:\n{}",
            tail(&String::from_utf8_lossy(&out.stderr), 40)
        );
    }
    // Cargo names the binary it built; that honours CARGO_TARGET_DIR and the like.
    let built = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "lianbing")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from));
    let bin = built.unwrap_or_else(|| {
        root.join("target")
            .join(if release { "release" } else { "debug" })
            .join("lianbing")
    });
    if !bin.exists() {
        bail!("the server binary is not at {}", bin.display());
    }
    Ok(bin)
}

/// A port nobody listens on now.
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// How to run the server; kept so it restarts exactly as it started.
#[derive(Clone, Debug)]
pub struct Spec {
    pub bin: PathBuf,
    pub root: PathBuf,
    pub database_url: String,
    pub port: u16,
    pub log: PathBuf,
}

pub struct Server {
    spec: Spec,
    child: Option<Child>,
}

impl Server {
    /// Starts the server and waits until `/healthz` answers 200. The first start on an empty database imports
    /// all content, which takes a while.
    pub async fn start(spec: Spec, timeout: Duration) -> anyhow::Result<Server> {
        let mut server = Server { spec, child: None };
        server.spawn()?;
        server.wait_ready(timeout).await?;
        Ok(server)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let s = &self.spec;
        // Appended, so a restart's log follows the crash it recovers from.
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&s.log)
            .with_context(|| format!("cannot open {}", s.log.display()))?;
        let child = Command::new(&s.bin)
            .current_dir(&s.root)
            .args(["serve", "--demo", "--addr"])
            .arg(format!("127.0.0.1:{}", s.port))
            .arg("--database-url")
            .arg(&s.database_url)
            .args([
                "--content",
                "content",
                "--demo-file",
                "content/demo/org.toml",
            ])
            .env("LIANBING_LOGIN_ATTEMPTS_PER_MINUTE", "1000000")
            .env("LIANBING_LOG", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("LIANBING_ADDR")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", s.bin.display()))?;
        self.child = Some(child);
        Ok(())
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.spec.port)
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Polls `/healthz` until 200; fails with the log's tail if the process exits first.
    pub async fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("{}/healthz", self.base_url());
        let started = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                bail!(
                    "the server exited ({status}) before it was ready; log tail:\n{}",
                    self.log_tail(30)
                );
            }
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > timeout {
                bail!(
                    "the server did not answer /healthz within {timeout:?}; log tail:\n{}",
                    self.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Whether the process has ended, and how.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Peak resident memory (VmHWM) in MB, rounded; None once the process is gone or off Linux.
    pub fn peak_rss_mb(&self) -> Option<u64> {
        self.proc_status_mb("VmHWM:")
    }

    /// Resident memory now (VmRSS) in MB, rounded.
    pub fn rss_mb(&self) -> Option<u64> {
        self.proc_status_mb("VmRSS:")
    }

    fn proc_status_mb(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix(field))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some((kb + 512) / 1024)
    }

    /// SIGKILL, as a power cut or OOM kill would: no shutdown code runs.
    pub fn crash(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill().context("cannot kill the server")?;
            c.wait()?;
        }
        Ok(())
    }

    /// Starts the same command again (same database and port) and waits until it answers.
    pub async fn restart(&mut self, timeout: Duration) -> anyhow::Result<()> {
        if self.child.is_some() {
            bail!("the server is still running");
        }
        self.spawn()?;
        self.wait_ready(timeout).await
    }

    /// SIGTERM and a wait for the graceful shutdown; SIGKILL if it takes over ten seconds.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut c) = self.child.take() else {
            return Ok(());
        };
        if c.try_wait()?.is_some() {
            return Ok(());
        }
        let pid = libc::pid_t::try_from(c.id()).map_err(|_| anyhow!("pid out of range"))?;
        // SAFETY: kill(2) on our own child's pid; the child is not yet reaped, so the pid is still ours.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let asked = Instant::now();
        while asked.elapsed() < Duration::from_secs(10) {
            if c.try_wait()?.is_some() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        c.kill()?;
        c.wait()?;
        Ok(())
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let Ok(mut f) = std::fs::File::open(&self.spec.log) else {
            return String::new();
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
        let mut text = String::new();
        let mut bytes = Vec::new();
        if f.read_to_end(&mut bytes).is_ok() {
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        tail(&text, lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
