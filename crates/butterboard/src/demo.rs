//! `butterboard demo`: the shipped example scenario (meet the team in week 1, product training in
//! month 1, a weekly one-on-one) on a running system, through the scenario service's gRPC API as
//! Butterboard's UI uses it. It imports the scenario (or reuses the one a previous run imported),
//! assigns a few new employees with their manager, team, trainer and HR contact, and prints each
//! employee's stage schedule and who the first meeting brings together — the answer
//! meeting-orchestrator gets when the meeting is started. Running it again changes nothing.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use butterboard_proto::scenario::v1 as pb;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;
use butterboard_runtime::auth::{self, Authenticator, Role};
use butterboard_runtime::config::Config;
use clap::Args;
use tonic::transport::Channel;

/// The HR manager who runs the demo, and the new employees' HR contact.
const DEMO_HR: &str = "helen.hr@example.com";
/// The stage the demo resolves: the example's first meeting, a one-off for the whole cohort.
const FIRST_MEETING: &str = "meet-the-team";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The scenario service's gRPC address; defaults to the configured gRPC port on 127.0.0.1.
    #[arg(long)]
    addr: Option<String>,
    /// A bearer token with the `hr` role; minted with the configured key when absent.
    #[arg(long, env = "BUTTERBOARD_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// How many new employees to assign (demo-1@example.com, …).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    employees: u32,
    /// Their first working day (YYYY-MM-DD); defaults to next Monday.
    #[arg(long)]
    start_date: Option<String>,
}

struct Client {
    grpc: ScenarioServiceClient<Channel>,
    token: String,
}

impl Client {
    fn request<T>(&self, message: T) -> anyhow::Result<tonic::Request<T>> {
        let mut request = tonic::Request::new(message);
        auth::attach_bearer(&mut request, &self.token)?;
        Ok(request)
    }

    /// The scenario a previous run imported (same name), or the example imported now.
    async fn example_scenario(&mut self, out: &mut String) -> anyhow::Result<pb::Scenario> {
        let yaml = scenario::EXAMPLE_SCENARIO_YAML.to_string();
        let check = pb::ImportScenarioRequest { yaml: yaml.clone(), validate_only: true, ..Default::default() };
        let name =
            self.grpc.import_scenario(self.request(check)?).await?.into_inner().scenario.unwrap_or_default().name;
        let mut page_token = String::new();
        loop {
            let list = pb::ListScenariosRequest { page_size: 200, page_token, ..Default::default() };
            let page = self.grpc.list_scenarios(self.request(list)?).await?.into_inner();
            if let Some(found) = page.scenarios.into_iter().find(|s| s.name == name) {
                writeln!(out, "Scenario \"{name}\" ({}), version {}, imported before", found.id, found.version)?;
                return Ok(found);
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let import = pb::ImportScenarioRequest { yaml, ..Default::default() };
        let imported = self.grpc.import_scenario(self.request(import)?).await?.into_inner();
        let scenario = imported.scenario.context("the import answered no scenario")?;
        writeln!(out, "Scenario \"{name}\" ({}) imported from the shipped example", scenario.id)?;
        Ok(scenario)
    }

    /// Assigns `email`, or finds the assignment a previous run made.
    async fn assign(&mut self, scenario_id: &str, n: u32, start_date: &str) -> anyhow::Result<pb::Assignment> {
        let person = |email: &str, name: &str, zone: &str| pb::Person {
            email: email.into(),
            display_name: name.into(),
            time_zone: zone.into(),
        };
        let email = format!("demo-{n}@example.com");
        let request = pb::AssignEmployeeRequest {
            scenario_id: scenario_id.into(),
            employee: Some(person(&email, &format!("Demo Employee {n}"), "Europe/Berlin")),
            start_date: start_date.into(),
            manager: Some(person("oleg.manager@example.com", "Oleg Manager", "Europe/Berlin")),
            team: vec![
                person("ivan.team@example.com", "Ivan Team", "Europe/Berlin"),
                person("maria.team@example.com", "Maria Team", "Europe/Lisbon"),
            ],
            trainer: Some(person("tanya.trainer@example.com", "Tanya Trainer", "Europe/Berlin")),
            hr: Some(person(DEMO_HR, "Helen HR", "Europe/Berlin")),
            buddy: None,
        };
        match self.grpc.assign_employee(self.request(request)?).await {
            Ok(assignment) => Ok(assignment.into_inner()),
            Err(status) if status.code() == tonic::Code::AlreadyExists => {
                let list = pb::ListAssignmentsRequest {
                    scenario_id: scenario_id.into(),
                    employee_email: email.clone(),
                    ..Default::default()
                };
                let found = self.grpc.list_assignments(self.request(list)?).await?.into_inner().assignments;
                found.into_iter().next().with_context(|| format!("{email} is assigned, but not listed"))
            }
            Err(status) => Err(status).with_context(|| format!("assigning {email}")),
        }
    }

    async fn resolve(&mut self, scenario_id: &str) -> anyhow::Result<pb::ResolveParticipantsResponse> {
        let target = pb::resolve_participants_request::Target::Stage(pb::StageRef {
            scenario_id: scenario_id.into(),
            stage_id: FIRST_MEETING.into(),
        });
        let request = pb::ResolveParticipantsRequest { target: Some(target) };
        Ok(self.grpc.resolve_participants(self.request(request)?).await?.into_inner())
    }
}

pub async fn run(config: &Config, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let addr = args.addr.clone().unwrap_or_else(|| format!("http://127.0.0.1:{}", config.listen.grpc.port()));
    let token = match args.token {
        Some(token) => token,
        // The scenario's owner defaults to its importer, which must be a person.
        None => Authenticator::from_config(config)?.mint(DEMO_HR, &[Role::Hr], Duration::from_secs(300))?,
    };
    let grpc = ScenarioServiceClient::connect(addr.clone())
        .await
        .with_context(|| format!("cannot reach the scenario service at {addr}: is `butterboard run` running?"))?;
    let mut client = Client { grpc, token };
    let start_date = match args.start_date {
        Some(date) => date,
        None => next_monday()?,
    };

    // Gathered, then written at once: nothing half-printed if a call fails on the way.
    let mut out = String::new();
    let scenario = client.example_scenario(&mut out).await?;
    writeln!(out, "\nNew employees starting on {start_date}:")?;
    for n in 1..=args.employees {
        let assignment = client.assign(&scenario.id, n, &start_date).await?;
        schedule(&mut out, &assignment)?;
    }
    let resolved = client.resolve(&scenario.id).await?;
    meeting(&mut out, &resolved)?;
    std::io::stdout().lock().write_all(out.as_bytes()).context("writing the demo's output")?;
    Ok(ExitCode::SUCCESS)
}

fn schedule(out: &mut String, assignment: &pb::Assignment) -> std::fmt::Result {
    let employee = assignment.employee.as_ref().map(|p| p.email.as_str()).unwrap_or_default();
    writeln!(out, "  {employee} (assignment {})", assignment.id)?;
    for instance in assignment.stage_instances.iter().filter(|i| i.occurrence <= 1) {
        let status = pb::StageStatus::try_from(instance.status).map(|s| s.as_str_name()).unwrap_or("?");
        let status = status.trim_start_matches("STAGE_STATUS_").to_lowercase();
        writeln!(out, "    {:<10} {:<34} {status}", instance.due_date, instance.title)?;
    }
    let repeats = assignment.stage_instances.iter().filter(|i| i.occurrence > 1).count();
    if repeats > 0 {
        writeln!(out, "    … and {repeats} more occurrences of recurring stages")?;
    }
    Ok(())
}

fn meeting(out: &mut String, resolved: &pb::ResolveParticipantsResponse) -> std::fmt::Result {
    let title = resolved.stage.as_ref().map(|s| s.title.as_str()).unwrap_or(FIRST_MEETING);
    writeln!(out, "\n\"{title}\" brings together, when its meeting is started:")?;
    for participant in &resolved.participants {
        let roles: Vec<&str> = participant
            .roles
            .iter()
            .filter_map(|r| pb::ParticipantRole::try_from(*r).ok())
            .map(|r| r.as_str_name().trim_start_matches("PARTICIPANT_ROLE_"))
            .collect();
        let email = participant.person.as_ref().map(|p| p.email.as_str()).unwrap_or_default();
        writeln!(out, "  {email:<32} {}", roles.join(", ").to_lowercase())?;
    }
    for member in &resolved.cohort {
        let email = member.employee.as_ref().map(|p| p.email.as_str()).unwrap_or_default();
        writeln!(out, "  {email:<32} new employee")?;
    }
    let hr: Vec<&str> = resolved.hr_contacts.iter().map(|p| p.email.as_str()).collect();
    writeln!(out, "HR contacts (they may see recordings kept for participants and HR): {}", hr.join(", "))
}

/// The next Monday after today (UTC), as YYYY-MM-DD.
fn next_monday() -> anyhow::Result<String> {
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let ahead = 7 - i64::from(today.weekday().to_monday_zero_offset());
    Ok(today.checked_add(jiff::Span::new().days(ahead))?.to_string())
}
