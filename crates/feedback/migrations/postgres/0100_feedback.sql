-- The feedback service's store. Ids are text (UUIDv7 or the ids other services gave), times epoch
-- milliseconds, JSON as text; migrations/sqlite holds the same statements but for the covering
-- index of the report.

-- The assignments this service has heard of: from onboarding.scenario.assigned, or from
-- scenario's GetAssignment when a stage event came first. `known` is 0 for a row that only a
-- cancellation created (its cancellation must hold when the assignment arrives later).
CREATE TABLE assignments (
    id TEXT PRIMARY KEY,
    scenario_id TEXT NOT NULL,
    scenario_version BIGINT NOT NULL,
    scenario_name TEXT NOT NULL,
    employee_email TEXT NOT NULL,
    employee_name TEXT NOT NULL,
    employee_time_zone TEXT NOT NULL,
    manager_email TEXT NOT NULL,
    start_date TEXT NOT NULL,
    known BIGINT NOT NULL,
    cancelled_at BIGINT,
    updated_at BIGINT NOT NULL
);

-- The stage instances of each assignment, for events that name a stage but no instance.
CREATE TABLE assignment_stages (
    stage_instance_id TEXT PRIMARY KEY,
    assignment_id TEXT NOT NULL,
    stage_id TEXT NOT NULL,
    title TEXT NOT NULL,
    occurrence BIGINT NOT NULL,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL
);
CREATE INDEX assignment_stages_by_assignment ON assignment_stages (assignment_id, stage_id, due_at);

-- The question template of each stage of each scenario version (a version with assignments is
-- never rewritten, so a template once read stays right). JSON array of strings.
CREATE TABLE stage_templates (
    scenario_id TEXT NOT NULL,
    scenario_version BIGINT NOT NULL,
    stage_id TEXT NOT NULL,
    questions TEXT NOT NULL,
    PRIMARY KEY (scenario_id, scenario_version, stage_id)
);

-- One request per new employee and stage instance (a recurring stage has one instance per
-- occurrence): the unique constraint is what makes duplicated and reordered events, and two
-- replicas, create one request.
CREATE TABLE feedback_requests (
    id TEXT PRIMARY KEY,
    assignment_id TEXT NOT NULL,
    stage_instance_id TEXT NOT NULL,
    occurrence BIGINT NOT NULL,
    scenario_id TEXT NOT NULL,
    scenario_version BIGINT NOT NULL,
    stage_id TEXT NOT NULL,
    stage_title TEXT NOT NULL,
    meeting_id TEXT,
    employee_email TEXT NOT NULL,
    employee_name TEXT NOT NULL,
    employee_time_zone TEXT NOT NULL,
    manager_email TEXT NOT NULL,
    -- YYYY-MM of the assignment's start date.
    cohort TEXT NOT NULL,
    questions TEXT NOT NULL,
    -- no_meeting, full, partial or missed.
    attendance TEXT NOT NULL,
    seconds_present BIGINT NOT NULL,
    joined_late BIGINT NOT NULL,
    left_early BIGINT NOT NULL,
    -- open, answered, expired or withdrawn.
    status TEXT NOT NULL,
    asked_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    reminders_sent BIGINT NOT NULL,
    next_reminder_at BIGINT,
    rating BIGINT,
    answered_at BIGINT,
    closed_at BIGINT,
    link TEXT NOT NULL,
    CONSTRAINT feedback_requests_once UNIQUE (assignment_id, stage_instance_id)
);
CREATE INDEX feedback_requests_by_employee ON feedback_requests (employee_email, asked_at);
CREATE INDEX feedback_requests_by_assignment_stage ON feedback_requests (assignment_id, stage_id);
-- The sweeper: open requests by next reminder, and by deadline.
CREATE INDEX feedback_requests_reminders ON feedback_requests (status, next_reminder_at);
CREATE INDEX feedback_requests_deadlines ON feedback_requests (status, due_at);
-- The report reads every column it groups by from the index.
CREATE INDEX feedback_requests_report ON feedback_requests (scenario_id, scenario_version)
    INCLUDE (stage_id, stage_title, cohort, attendance, status, rating, manager_email, asked_at, answered_at);

-- What an employee answered: free text lives only here and leaves only through the API.
CREATE TABLE feedback_responses (
    request_id TEXT PRIMARY KEY REFERENCES feedback_requests (id),
    rating BIGINT NOT NULL,
    comment TEXT NOT NULL,
    answers TEXT NOT NULL,
    submitted_at BIGINT NOT NULL
);

CREATE TABLE manager_notes (
    id TEXT PRIMARY KEY,
    assignment_id TEXT NOT NULL,
    stage_instance_id TEXT,
    stage_id TEXT,
    manager_email TEXT NOT NULL,
    rating BIGINT NOT NULL,
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX manager_notes_by_assignment ON manager_notes (assignment_id, created_at);
