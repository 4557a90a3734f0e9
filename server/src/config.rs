//! Typed configuration. Every setting has a default that runs the embedded demo from the repository root;
//! environment variables (named in the README and `lianbing.env.sample`) override it.

use app::server::AuthConfig;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/lianbing.db";

#[derive(Clone, Debug)]
pub struct Config {
    pub addr: String,
    pub database_url: String,
    /// Where the built browser bundle and stylesheet live (`target/site` after the build).
    pub site_root: PathBuf,
    pub auth: AuthConfig,
    /// Largest request body (roster uploads).
    pub body_limit: usize,
    /// Seconds between a lesson page's reading-time heartbeats.
    pub heartbeat_seconds: i64,
    /// Where uploaded lesson videos are kept.
    pub media_dir: PathBuf,
}

impl Config {
    pub fn new(addr: String, database_url: String) -> Config {
        Config {
            addr,
            database_url,
            site_root: PathBuf::from("target/site"),
            auth: AuthConfig::default(),
            body_limit: 8 * 1024 * 1024,
            heartbeat_seconds: 20,
            media_dir: PathBuf::from("data/media"),
        }
    }

    /// Reads the optional settings from the environment; bad values are refused with the variable's name.
    pub fn with_env(mut self) -> anyhow::Result<Config> {
        fn minutes(name: &str) -> anyhow::Result<Option<Duration>> {
            match std::env::var(name) {
                Ok(v) => {
                    let n: u64 = v.trim().parse().map_err(|_| {
                        anyhow::anyhow!("{name} must be a number of minutes, not {v:?}")
                    })?;
                    Ok(Some(Duration::from_secs(n * 60)))
                }
                Err(_) => Ok(None),
            }
        }
        if let Ok(v) = std::env::var("LIANBING_HEARTBEAT_SECONDS") {
            self.heartbeat_seconds = v
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=300).contains(n))
                .ok_or_else(|| {
                    anyhow::anyhow!("LIANBING_HEARTBEAT_SECONDS must be 1–300, not {v:?}")
                })?;
        }
        if let Ok(dir) = std::env::var("LIANBING_MEDIA_DIR") {
            self.media_dir = PathBuf::from(dir);
        }
        if let Ok(root) = std::env::var("LIANBING_SITE_ROOT") {
            self.site_root = PathBuf::from(root);
        }
        if let Some(d) = minutes("LIANBING_SESSION_IDLE_MINUTES")? {
            self.auth.idle_timeout = d;
        }
        if let Some(d) = minutes("LIANBING_SESSION_ABSOLUTE_MINUTES")? {
            self.auth.absolute_timeout = d;
        }
        if let Ok(v) = std::env::var("LIANBING_SECURE_COOKIES") {
            self.auth.secure_cookies = matches!(v.trim(), "1" | "true" | "yes");
        }
        if let Ok(v) = std::env::var("LIANBING_LOGIN_ATTEMPTS_PER_MINUTE") {
            self.auth.login_attempts_per_minute = v.trim().parse().map_err(|_| {
                anyhow::anyhow!("LIANBING_LOGIN_ATTEMPTS_PER_MINUTE must be a number")
            })?;
        }
        Ok(self)
    }
}
