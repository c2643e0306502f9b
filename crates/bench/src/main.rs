//! `make bench`: the figures the issues ask for, measured in one run on this machine against the
//! real components (PostgreSQL, NATS JetStream, the embedded bus, the built binary).
//!
//! Each section prints one line per figure with its target, so a run reads as a report. The
//! sections: [`relay`] (outbox → JetStream next to raw pipelined publishing), [`embedded`] (the
//! embedded bus end to end), [`scenario`] (assignment rate and participant resolution latency),
//! [`ingest`] (Zoom webhooks per second and latency, next to two floors), [`meeting`] (StartMeeting
//! latency next to its parts, Zoom lifecycle events per second next to a bare loop), [`feedback`]
//! (the report over 100,000 answers next to its bare SQL, request creation from meeting ends),
//! [`process`] (idle memory and start-to-ready time of the binary).

mod embedded;
mod feedback;
mod ingest;
mod load;
mod meeting;
mod process;
mod relay;
mod scenario;

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Sections to run: relay, embedded, scenario, ingest, meeting, feedback, process (default: all).
    sections: Vec<String>,
    /// Events per throughput measurement.
    #[arg(long, default_value_t = 20_000)]
    events: usize,
}

/// One reported figure.
pub fn report(name: &str, value: f64, unit: &str, target: &str) {
    println!("{name:<52} {value:>12.1} {unit:<10} (target {target})");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let wants = |s: &str| args.sections.is_empty() || args.sections.iter().any(|a| a == s);
    if wants("relay") {
        relay::run(args.events).await?;
    }
    if wants("embedded") {
        embedded::run(args.events).await?;
    }
    if wants("scenario") {
        scenario::run().await?;
    }
    if wants("ingest") {
        ingest::run(args.events).await?;
    }
    if wants("meeting") {
        meeting::run().await?;
    }
    if wants("feedback") {
        feedback::run().await?;
    }
    if wants("process") {
        process::run().await?;
    }
    Ok(())
}
