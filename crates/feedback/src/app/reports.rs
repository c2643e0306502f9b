//! Reports: the figures of a scenario for HR, or for a manager over their own people behind the
//! anonymity threshold, and a stage's comments for HR.

use butterboard_runtime::auth::{Caller, Role};
use butterboard_runtime::store::Backend;

use super::access::report_audience;
use super::errors::{ServiceError, ServiceResult};
use super::{FeedbackApp, required};
use crate::domain::report::{Report, build};
use crate::store::report::{self as queries, Scope};
use crate::store::responses::{self, StageComment};

/// A report with what it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportView {
    pub scenario_id: String,
    pub scenario_name: String,
    pub version: Option<u32>,
    pub report: Report,
    pub generated_at: i64,
}

impl FeedbackApp {
    pub async fn report(&self, caller: &Caller, scenario_id: &str, version: Option<u32>) -> ServiceResult<ReportView> {
        let scenario_id = required("scenario_id", scenario_id)?;
        let (audience, manager_email) = report_audience(caller, self.settings.anonymity_threshold)?;
        let scope = Scope { scenario_id: scenario_id.clone(), version, manager_email };
        // The counts and the medians each scan the scenario's requests: on PostgreSQL they run at
        // once on two connections, so the report takes as long as the slower of them.
        let backend = self.store.backend();
        let (groups, medians) = match backend {
            Backend::Postgres => {
                let (mut a, mut b) = tokio::try_join!(self.store.pool().acquire(), self.store.pool().acquire())?;
                tokio::try_join!(queries::groups(&mut a, &scope), queries::medians(&mut b, backend, &scope))?
            }
            Backend::Sqlite => {
                let mut conn = self.store.pool().acquire().await?;
                (queries::groups(&mut conn, &scope).await?, queries::medians(&mut conn, backend, &scope).await?)
            }
        };
        let mut conn = self.store.pool().acquire().await?;
        let scenario_name = queries::scenario_name(&mut conn, &scenario_id).await?.unwrap_or_default();
        Ok(ReportView {
            scenario_id,
            scenario_name,
            version,
            report: build(&groups, &medians, audience),
            generated_at: self.now(),
        })
    }

    /// A stage's comments and template answers, newest first, without who wrote them. HR only:
    /// a manager's small team would make every comment attributable.
    pub async fn stage_comments(
        &self,
        caller: &Caller,
        scenario_id: &str,
        stage_id: &str,
        version: Option<u32>,
    ) -> ServiceResult<Vec<StageComment>> {
        if !caller.has(Role::Hr) {
            return Err(ServiceError::PermissionDenied("a stage's comments are for HR only".into()));
        }
        let scenario_id = required("scenario_id", scenario_id);
        let stage_id = required("stage_id", stage_id);
        let (scenario_id, stage_id) = match (scenario_id, stage_id) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                let violations = [a.err(), b.err()]
                    .into_iter()
                    .flatten()
                    .flat_map(|e| match e {
                        ServiceError::Invalid(v) => v,
                        _ => Vec::new(),
                    })
                    .collect();
                return Err(ServiceError::Invalid(violations));
            }
        };
        let mut conn = self.store.pool().acquire().await?;
        Ok(responses::of_stage(&mut conn, &scenario_id, &stage_id, version).await?)
    }
}
