-- The scenario service's store. Ids are text (UUIDv7), times epoch milliseconds, JSON as text;
-- the same statements run on PostgreSQL (migrations/postgres), but for the cohort index.

CREATE TABLE scenarios (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner_email TEXT NOT NULL,
    current_version BIGINT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX scenarios_by_name ON scenarios (archived, name, id);

-- One row per version; `definition` is the validated scenario as JSON. A version is edited in
-- place only while no assignment uses it.
CREATE TABLE scenario_versions (
    scenario_id TEXT NOT NULL REFERENCES scenarios (id),
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (scenario_id, version)
);

-- `people` is the assignment's people (employee, manager, team, trainer, hr, buddy) as JSON; the
-- employee's fields are also columns for the cohort query.
CREATE TABLE assignments (
    id TEXT PRIMARY KEY,
    scenario_id TEXT NOT NULL REFERENCES scenarios (id),
    scenario_version BIGINT NOT NULL,
    employee_email TEXT NOT NULL,
    employee_name TEXT NOT NULL,
    employee_time_zone TEXT NOT NULL,
    manager_email TEXT NOT NULL,
    start_date TEXT NOT NULL,
    people TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE UNIQUE INDEX assignments_one_per_employee ON assignments (scenario_id, employee_email);
CREATE INDEX assignments_by_version ON assignments (scenario_id, scenario_version);
CREATE INDEX assignments_by_manager ON assignments (manager_email, id);
CREATE INDEX assignments_by_employee ON assignments (employee_email, id);

CREATE TABLE stage_instances (
    id TEXT PRIMARY KEY,
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    scenario_id TEXT NOT NULL,
    stage_id TEXT NOT NULL,
    occurrence BIGINT NOT NULL,
    -- The employee, copied from the assignment (which never changes) so the cohort query reads
    -- one table.
    employee_email TEXT NOT NULL,
    employee_name TEXT NOT NULL,
    employee_time_zone TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Copied from the stage: a version with assignments is never edited, so it cannot drift.
    schedule_meeting BIGINT NOT NULL DEFAULT 0,
    missed BIGINT NOT NULL DEFAULT 0,
    meeting_id TEXT,
    due_published_at BIGINT,
    completed_at BIGINT,
    feedback_request_id TEXT,
    feedback_rating BIGINT,
    feedback_submitted_at BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE INDEX stage_instances_by_assignment ON stage_instances (assignment_id, due_at);
-- The scheduler: pending rows by due time (and due rows for the overdue sweep).
CREATE INDEX stage_instances_by_status_due ON stage_instances (status, due_at);
-- ResolveParticipants: the open instances of one stage of one scenario (the cohort), with every
-- column the query reads, so it is answered from the index (PostgreSQL puts the trailing columns
-- in INCLUDE; SQLite has none, so they are keys here).
CREATE INDEX stage_instances_cohort ON stage_instances
    (scenario_id, stage_id, status, due_at, id, assignment_id, employee_email, employee_name, employee_time_zone);

-- The latest archived recording of each stage, offered to later cohorts.
CREATE TABLE recording_links (
    scenario_id TEXT NOT NULL,
    stage_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    folder_link TEXT NOT NULL,
    files TEXT NOT NULL,
    archived_at BIGINT NOT NULL,
    PRIMARY KEY (scenario_id, stage_id)
);
