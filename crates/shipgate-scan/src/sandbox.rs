//! Running a renderer (`kubectl kustomize`, `helm template`) on files of the
//! checked repository without letting it reach anything else: an empty
//! environment, no `PATH` (so no `git` or plugin to start), HTTP proxies that
//! point at a closed local port, a time limit and an output limit.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A port nothing listens on: a fetch that slips past every other fence
/// fails here instead of reaching the network.
const CLOSED_PROXY: &str = "http://127.0.0.1:9";
/// Enough of a renderer's complaint to explain it.
const MAX_ERROR_BYTES: u64 = 1024 * 1024;

/// A program as found on `PATH`.
pub(crate) fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// A file's text, refused when it is larger than `limit` bytes.
pub(crate) fn read_limited(path: &Path, limit: u64) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > limit {
        return Err(std::io::Error::other(format!(
            "over the {limit} byte limit for rendering"
        )));
    }
    let mut text = String::new();
    file.take(limit).read_to_string(&mut text)?;
    Ok(text)
}

/// One confined run of `program`.
pub(crate) struct Confined<'a> {
    pub program: &'a Path,
    pub args: Vec<OsString>,
    /// Variables set on top of the empty environment.
    pub env: Vec<(&'static str, OsString)>,
    pub timeout: Duration,
    pub max_output: u64,
}

impl Confined<'_> {
    /// The program's standard output, or what went wrong: its standard
    /// error when it failed, a timeout, an oversized or non-UTF-8 output.
    pub(crate) fn run(self) -> Result<String, String> {
        let name = self.program.file_name().map_or_else(
            || self.program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut command = Command::new(self.program);
        command
            .args(&self.args)
            .env_clear()
            .env("PATH", "/nonexistent")
            .env("HOME", "/nonexistent")
            .env("HTTP_PROXY", CLOSED_PROXY)
            .env("HTTPS_PROXY", CLOSED_PROXY)
            .env("http_proxy", CLOSED_PROXY)
            .env("https_proxy", CLOSED_PROXY)
            .env("GIT_ALLOW_PROTOCOL", "none");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let finished = run_limited(command, self.timeout, self.max_output + 1, MAX_ERROR_BYTES)
            .map_err(|err| match err {
                Failure::Spawn(err) => format!("cannot run {}: {err}", self.program.display()),
                Failure::Timeout => format!(
                    "{name} gave no answer within {} seconds",
                    self.timeout.as_secs()
                ),
                Failure::Wait(err) => err,
            })?;
        let (status, stdout, stderr) = (finished.status, finished.stdout, finished.stderr);
        if !status.success() {
            return Err(String::from_utf8_lossy(&stderr).trim().to_owned());
        }
        if stdout.len() as u64 > self.max_output {
            return Err(format!(
                "the rendering is over the {} byte limit",
                self.max_output
            ));
        }
        String::from_utf8(stdout).map_err(|_| "the rendering is not valid UTF-8".to_owned())
    }
}

/// A program that ran to its end.
#[derive(Debug)]
pub struct Finished {
    pub status: std::process::ExitStatus,
    /// At most the limit given to [`run_limited`].
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
}

/// Why a program did not run to its end.
#[derive(Debug)]
pub enum Failure {
    Spawn(std::io::Error),
    /// Killed at the time limit.
    Timeout,
    Wait(String),
}

/// Runs `command` with no input, keeping at most `max_stdout` and
/// `max_stderr` bytes of its outputs, and kills it at `timeout`.
pub fn run_limited(
    mut command: Command,
    timeout: Duration,
    max_stdout: u64,
    max_stderr: u64,
) -> Result<Finished, Failure> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(Failure::Spawn)?;
    // Both pipes are drained while waiting, so a large output cannot
    // block the program; what is over the limit is read and dropped.
    let drain = |pipe: Option<Box<dyn Read + Send>>, limit: u64| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = (&mut pipe).take(limit).read_to_end(&mut bytes);
                let _ = std::io::copy(&mut pipe, &mut std::io::sink());
            }
            bytes
        })
    };
    let stdout = child
        .stdout
        .take()
        .map(|p| Box::new(p) as Box<dyn Read + Send>);
    let stderr = child
        .stderr
        .take()
        .map(|p| Box::new(p) as Box<dyn Read + Send>);
    let out_reader = drain(stdout, max_stdout);
    let err_reader = drain(stderr, max_stderr);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::Timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(err) => return Err(Failure::Wait(err.to_string())),
        }
    };
    let elapsed = started.elapsed();
    Ok(Finished {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        elapsed,
    })
}
