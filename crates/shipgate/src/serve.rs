//! `shipgate serve` and `shipgate server token create`: flags to a
//! [`shipgate_server::Config`], nothing more.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use shipgate_server::{Config, Location, TokenFor};

/// Where the server keeps its data.
#[derive(clap::Args)]
pub struct StorageArgs {
    /// The data folder of the embedded SQLite database, created on first
    /// start.
    #[arg(long, value_name = "DIR", default_value = "shipgate-data")]
    data: PathBuf,
    /// Keep the data in PostgreSQL instead (`postgres://USER@HOST/DB`);
    /// also read from SHIPGATE_DATABASE_URL, which keeps a password out of
    /// the process list.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

impl StorageArgs {
    fn location(&self) -> Result<Location, String> {
        let url = self
            .database_url
            .clone()
            .or_else(|| std::env::var("SHIPGATE_DATABASE_URL").ok())
            .filter(|u| !u.is_empty());
        match url {
            Some(url) => url.parse(),
            None => Ok(Location::Folder(self.data.clone())),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Login {
    /// Ask for a viewer's token unless listening on loopback only.
    Auto,
    /// Always ask.
    Always,
    /// Never ask: for a server behind a proxy that authenticates.
    Never,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8480")]
    listen: SocketAddr,
    #[command(flatten)]
    storage: StorageArgs,
    /// The largest upload taken, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 32 * 1024 * 1024)]
    max_body: usize,
    /// Uploads one token may make per minute (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 120)]
    ingest_per_minute: u32,
    /// Delete runs older than this many days (each project's newest is
    /// kept); by default runs are kept forever.
    #[arg(long, value_name = "DAYS")]
    retention_days: Option<u64>,
    /// When the dashboard asks for a viewer's token.
    #[arg(long, value_enum, default_value_t = Login::Auto)]
    dashboard_login: Login,
}

#[derive(Subcommand)]
pub enum ServerCommand {
    /// Manage the tokens of the server's projects and viewers.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it, once: only its SHA-256 is stored.
    Create {
        /// A token that uploads and reads this project's runs (the project
        /// is created if new).
        #[arg(long, value_name = "NAME", required_unless_present = "viewer")]
        project: Option<String>,
        /// A token that opens the dashboard when it is not on loopback.
        #[arg(long, conflicts_with = "project")]
        viewer: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

pub fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    shipgate_server::init_logging();
    let mut config = Config::new(args.listen, args.storage.location()?);
    config.max_body = args.max_body;
    config.ingest_per_minute = args.ingest_per_minute;
    config.retention_days = args.retention_days;
    config.dashboard_login = match args.dashboard_login {
        Login::Auto => config.dashboard_login,
        Login::Always => true,
        Login::Never => false,
    };
    shipgate_server::block_on(shipgate_server::serve(config, |_| {}))??;
    Ok(ExitCode::SUCCESS)
}

pub fn server(command: ServerCommand) -> Result<ExitCode, String> {
    match command {
        ServerCommand::Token(TokenCommand::Create {
            project,
            viewer,
            storage,
        }) => {
            let scope = match (project, viewer) {
                (Some(name), false) => TokenFor::Project(name),
                _ => TokenFor::Viewer,
            };
            let location = storage.location()?;
            let token =
                shipgate_server::block_on(shipgate_server::create_token(&location, &scope))??;
            println!("{token}");
            match scope {
                TokenFor::Project(name) => eprintln!(
                    "a token for project {name}; it is shown only now. Upload with \
                     SHIPGATE_TOKEN=<token> shipgate check --format json --upload URL"
                ),
                TokenFor::Viewer => {
                    eprintln!("a viewer's token for the dashboard; it is shown only now")
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
