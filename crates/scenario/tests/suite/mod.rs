//! The store-facing suite of the scenario service: every case runs on PostgreSQL and on SQLite
//! (instantiated in `tests/stores.rs`), the way the runtime's store conformance suite does.

pub mod assignments;
pub mod cohort;
pub mod privacy;
pub mod scenarios;
pub mod scheduler;

/// One `#[tokio::test]` per case for a fixture expression.
#[macro_export]
macro_rules! scenario_store_suite {
    ($fixture:expr) => {
        $crate::scenario_store_suite!(@cases $fixture;
            scenarios::a_created_scenario_reads_back_at_version_one_with_its_stages,
            scenarios::editing_a_scenario_nobody_follows_changes_it_in_place,
            scenarios::editing_a_scenario_with_assignments_creates_a_version_and_running_assignments_keep_theirs,
            scenarios::an_update_with_a_stale_expected_version_is_refused_and_changes_nothing,
            scenarios::an_archived_scenario_refuses_new_assignments_and_keeps_running_ones,
            scenarios::yaml_export_imports_back_to_the_same_scenario_and_a_dry_run_writes_nothing,
            scenarios::scenarios_are_listed_page_by_page,
            assignments::due_dates_follow_the_employee_time_zone_across_weekends_holidays_and_dst,
            assignments::an_assignment_publishes_scenario_assigned_with_every_stage_instance,
            assignments::assigning_an_employee_twice_is_already_exists_and_writes_nothing,
            assignments::assignments_are_listed_by_manager_status_and_due_window,
            assignments::completing_a_stage_publishes_stage_completed_once_and_a_second_time_is_refused,
            assignments::skipping_a_stage_publishes_it_as_skipped,
            cohort::the_cohort_is_every_employee_whose_instance_of_the_stage_is_open,
            cohort::an_instance_of_a_recurring_stage_resolves_to_its_employee_alone,
            cohort::the_latest_archived_recording_is_offered_as_material_to_later_cohorts,
            cohort::a_kept_cohort_follows_every_change_made_by_any_replica,
            cohort::compaction_keeps_each_scenario_total_so_kept_cohorts_stay_valid,
            cohort::concurrent_compactions_and_assignments_lose_no_weight,
            cohort::a_resolution_that_finds_change_rows_piling_up_has_them_compacted,
            privacy::a_previous_recording_reaches_later_cohorts_only_where_the_stage_privacy_allows_it,
            privacy::validation_and_updates_warn_about_a_previous_recording_the_privacy_hides,
            scheduler::the_scheduler_publishes_each_due_instance_once_with_two_replicas,
            scheduler::the_scheduler_publishes_nothing_twice_across_a_restart,
            scheduler::a_due_instance_left_open_past_the_grace_period_becomes_overdue,
        );
    };
    (@cases $fixture:expr; $($module:ident :: $case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::suite::$module::$case(&$fixture).await;
            }
        )+
    };
}
