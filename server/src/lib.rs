//! The lianbing server: configuration, database, router and the commands the binary offers.
//! `main.rs` only parses the command line; tests build the same `Application` on a free port or call `router`.

pub mod config;
pub mod content;
pub mod db;
pub mod router;
pub mod seed;

pub use config::Config;
pub use router::router;

use app::server::AppState;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// A built server, bound to its address but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
}

impl Application {
    /// Connects, migrates and binds. Port 0 picks a free port (tests).
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        let state = db::open(config).await?;
        let router = router::router(state.clone(), config);
        let listener = TcpListener::bind(&config.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
        Ok(Application {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes the requests under way.
    pub async fn run(self) -> anyhow::Result<()> {
        let store = app::server::session_store::DbSessionStore::new(self.state.pool.clone());
        // Expired sessions are swept hourly; a load also ignores them, so the sweep only saves space.
        let sweeper = tokio::spawn(async move {
            use tower_sessions::session_store::ExpiredDeletion;
            let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every_hour.tick().await;
                if let Err(err) = store.delete_expired().await {
                    tracing::warn!(error = %err, "sweeping expired sessions failed");
                }
            }
        });
        // Submits sittings whose time is up, on the server's clock, whether or not the candidate is still there.
        let exams = {
            let pool = self.state.pool.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
                loop {
                    tick.tick().await;
                    let swept = async {
                        let mut conn = pool.acquire().await?;
                        app::competition::ssr::sweep(&mut conn, app::server::db::now())
                            .await
                            .map_err(|e| anyhow::anyhow!("{e}"))
                    }
                    .await;
                    match swept {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(n, "submitted sittings whose time was up"),
                        Err(err) => tracing::warn!(error = %err, "exam sweep failed"),
                    }
                }
            })
        };
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        sweeper.abort();
        exams.abort();
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
