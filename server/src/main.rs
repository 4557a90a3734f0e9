//! `lianbing`: serve the app, migrate, create users, back up. Every failure is one line and a non-zero exit.

use anyhow::{Context, anyhow, bail};
use app::domain::{NewPassword, Username, parse_display_name, parse_roles};
use app::server::{Backend, units, users};
use clap::{Parser, Subcommand};
use server::config::{DEFAULT_ADDR, DEFAULT_DATABASE_URL};
use server::{Application, Config, db, seed};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

/// See `Cargo.toml`: memory taken by a burst of password checks goes back to the system afterwards.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "lianbing",
    version,
    about = "练兵 — training and competitions for environmental enforcement officers"
)]
struct Cli {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrates first).
    Serve {
        #[arg(long, env = "LIANBING_ADDR", default_value = DEFAULT_ADDR)]
        addr: String,
        /// Load the demo organisation and accounts into an empty database.
        #[arg(long)]
        demo: bool,
        /// The demo data file.
        #[arg(long, default_value = "content/demo/org.toml")]
        demo_file: PathBuf,
        /// The content imported into a database that has none yet.
        #[arg(long, default_value = "content")]
        content: PathBuf,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check or import the content tree.
    Content {
        #[command(subcommand)]
        command: ContentCommand,
    },
    /// Check the hash chain of the marks' audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent copy of the SQLite database while the server runs.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the marks' audit log and prove that no entry was changed, removed or reordered.
    Verify,
}

#[derive(Subcommand)]
enum ContentCommand {
    /// Validate the content tree; every problem as FILE:LINE: message.
    Check {
        #[arg(default_value = "content")]
        dir: PathBuf,
    },
    /// Check, then write the content to the database; changed items become new versions.
    Import {
        #[arg(default_value = "content")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        /// admin, examiner or trainee; several separated by commas.
        #[arg(long)]
        role: String,
        /// Unit code; the top unit when omitted.
        #[arg(long)]
        unit: Option<String>,
        /// Display name; the username when omitted.
        #[arg(long)]
        name: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = err.print();
                return ExitCode::SUCCESS;
            }
            let text = err.render().to_string();
            eprintln!(
                "{} (lianbing --help)",
                text.lines().next().unwrap_or("error: bad arguments")
            );
            return ExitCode::from(2);
        }
    };
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("LIANBING_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            addr,
            demo,
            demo_file,
            content,
        } => {
            let config = Config::new(addr, cli.database_url.clone()).with_env()?;
            let app = Application::build(&config).await?;
            if demo {
                let accounts = seed::demo(app.state(), &demo_file).await?;
                if !accounts.is_empty() {
                    println!("Demo accounts (演示账号):");
                    for a in &accounts {
                        println!(
                            "  {:<10} password {:<14} {} · {}",
                            a.username,
                            a.password,
                            a.roles.join(","),
                            a.unit
                        );
                    }
                }
            }
            let accounts: i64 = sqlx::query_scalar("select count(*) from app_user")
                .fetch_one(&app.state().pool)
                .await?;
            if accounts == 0 {
                println!(
                    "no accounts yet: create the first admin with \
                     `lianbing user create --username NAME --role admin` (or serve --demo)"
                );
            }
            if let Some(stats) =
                server::content::import_if_empty(&app.state().pool, &content).await?
            {
                println!(
                    "content imported from {}: {} items",
                    content.display(),
                    stats.created
                );
            }
            println!(
                "lianbing listening on http://{} (database {})",
                app.local_addr(),
                db::redact(&cli.database_url)
            );
            app.run().await
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let (pool, backend) = db::connect(&cli.database_url).await?;
            db::migrate(&pool, backend).await?;
            let mut conn = pool.acquire().await?;
            let verdict = app::grading::chain::verify(&mut conn).await?;
            match verdict.broken_at {
                None => {
                    println!("audit: {} entries, chain intact", verdict.entries);
                    Ok(())
                }
                Some(at) => bail!(
                    "audit: chain broken at entry {at} ({} entries before it are intact)",
                    verdict.entries
                ),
            }
        }
        Command::Migrate => {
            let (pool, backend) = db::connect(&cli.database_url).await?;
            db::migrate(&pool, backend).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    role,
                    unit,
                    name,
                },
        } => {
            create_user(
                &cli.database_url,
                &username,
                &role,
                unit.as_deref(),
                name.as_deref(),
            )
            .await
        }
        Command::Backup { to } => backup(&cli.database_url, &to).await,
        Command::Content {
            command: ContentCommand::Check { dir },
        } => server::content::check(&dir, false).map(|_| ()),
        Command::Content {
            command: ContentCommand::Import { dir },
        } => {
            let set = server::content::check(&dir, true)?;
            let (pool, backend) = db::connect(&cli.database_url).await?;
            db::migrate(&pool, backend).await?;
            let stats = server::content::import(&pool, &set, true).await?;
            println!(
                "imported: {} new, {} changed (new versions), {} unchanged",
                stats.created, stats.updated, stats.unchanged
            );
            println!("{}", set.summary());
            Ok(())
        }
    }
}

fn message(key: &str) -> String {
    app::i18n::tr(app::i18n::Locale::En, key)
}

async fn create_user(
    url: &str,
    username: &str,
    role: &str,
    unit: Option<&str>,
    name: Option<&str>,
) -> anyhow::Result<()> {
    let username =
        Username::parse(username).map_err(|e| anyhow!("--username: {}", message(e.0)))?;
    let roles = parse_roles(role).map_err(|e| anyhow!("--role: {}", message(e.0)))?;
    let display_name = parse_display_name(name.unwrap_or(username.as_str()))
        .map_err(|e| anyhow!("--name: {}", message(e.0)))?;
    let password = read_password()?;
    let password =
        NewPassword::parse(&password).map_err(|e| anyhow!("password: {}", message(e.0)))?;

    let (pool, backend) = db::connect(url).await?;
    db::migrate(&pool, backend).await?;
    let mut tx = pool.begin().await?;
    let unit = match unit {
        Some(code) => units::by_code(&mut tx, &code.to_uppercase())
            .await?
            .ok_or_else(|| anyhow!("no unit with code {code}"))?,
        None => {
            let root: Option<units::UnitRow> =
                sqlx::query_as("select unit_id, code, name, level, parent_id, path from unit where parent_id is null order by unit_id limit 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            match root {
                Some(root) => root,
                None => {
                    let id = units::insert(&mut tx, None, "MEE", "生态环境部", 0).await?;
                    units::get(&mut tx, id)
                        .await?
                        .context("top unit just created")?
                }
            }
        }
    };
    let hash = app::server::auth::hash_password(&password)
        .await
        .map_err(|e| anyhow!("hashing failed: {e}"))?;
    let new = users::NewUser {
        username: username.as_str().to_owned(),
        display_name,
        unit_id: unit.unit_id,
        roles,
        cert_no: None,
        password_hash: hash,
        must_change_password: false,
    };
    if users::username_exists(&mut tx, username.as_str()).await? {
        bail!("username {} is taken", username.as_str());
    }
    users::insert(&mut tx, &new).await?;
    tx.commit().await?;
    println!(
        "created {} in {} ({})",
        username.as_str(),
        unit.name,
        unit.code
    );
    Ok(())
}

/// The password from the terminal without echo, or the first line of piped input.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Password: ").context("cannot read the password");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() {
        bail!("no password on standard input");
    }
    Ok(line)
}

async fn backup(url: &str, to: &std::path::Path) -> anyhow::Result<()> {
    match Backend::from_url(url) {
        Some(Backend::Postgres) => {
            bail!(
                "backup covers SQLite; for PostgreSQL use pg_dump, e.g. pg_dump --format=custom --file=lianbing.dump \"$DATABASE_URL\""
            )
        }
        Some(Backend::Sqlite) => {}
        None => bail!("DATABASE_URL must start with sqlite:// or postgres://"),
    }
    if to.exists() {
        bail!("{} already exists; choose a new file", to.display());
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    let (pool, _) = db::connect(url).await?;
    // VACUUM INTO copies a consistent snapshot while other connections keep reading and writing.
    sqlx::query("vacuum into $1")
        .bind(to.to_string_lossy().to_string())
        .execute(&pool)
        .await
        .context("backup failed")?;
    println!("backup written to {}", to.display());
    Ok(())
}
