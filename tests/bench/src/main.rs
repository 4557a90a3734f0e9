//! `lianbing-bench`: load drivers for the lianbing server. `exam-day` plays a whole theory exam with N candidates
//! and ends with one line of figures.

use clap::{Parser, Subcommand};
use lianbing_bench::exam_day::{self, Options};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lianbing-bench",
    about = "Load drivers for the lianbing server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// N candidates log in, wait, start together, answer with pauses and submit; the last line has the figures.
    ExamDay {
        #[arg(long)]
        candidates: usize,
        /// A PostgreSQL server (postgres://USER@HOST:PORT/DB) to make a throwaway database on; SQLite when omitted.
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, default_value_t = 180)]
        exam_seconds: u64,
        /// Mean pause between a candidate's answers.
        #[arg(long, default_value_t = 15.0)]
        think_seconds: f64,
    },
    /// Computes the results of N candidates × 4 stages × 3 examiners from a throwaway database; the last line
    /// has the time.
    Results {
        #[arg(long)]
        candidates: usize,
        /// A PostgreSQL server to make a throwaway database on; SQLite when omitted.
        #[arg(long)]
        database_url: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every candidate holds a connection, on our side and the server's; the server inherits the raised limit.
    if let Err(err) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("warning: cannot raise the open-file limit: {err}");
    }
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
    match cli.command {
        Command::Results {
            candidates,
            database_url,
        } => {
            if candidates == 0 {
                eprintln!("error: need --candidates ≥ 1");
                return ExitCode::from(2);
            }
            let opts = lianbing_bench::results::Options {
                candidates,
                database_url,
            };
            match runtime.block_on(lianbing_bench::results::run(opts)) {
                Ok(line) => {
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("error: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::ExamDay {
            candidates,
            database_url,
            exam_seconds,
            think_seconds,
        } => {
            if candidates == 0
                || exam_seconds < 10
                || !think_seconds.is_finite()
                || think_seconds <= 0.0
            {
                eprintln!(
                    "error: need --candidates ≥ 1, --exam-seconds ≥ 10 and --think-seconds > 0"
                );
                return ExitCode::from(2);
            }
            let opts = Options {
                candidates,
                database_url,
                exam_seconds,
                think_seconds,
            };
            match runtime.block_on(exam_day::run(opts)) {
                Ok(report) => {
                    println!("{report}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("error: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
