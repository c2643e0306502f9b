-- Meetings, their invitees and stage instances, Zoom's occurrences and sessions, participant
-- events and chat, and the automatic scheduling of due stages.

-- A row is written (status 'creating', with the whole plan) before Zoom is called, under a lease;
-- whoever holds the lease may call Zoom for it. That is what keeps one request to one Zoom meeting.
CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    status TEXT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    plan TEXT NOT NULL,
    created_by TEXT NOT NULL,
    host_email TEXT NOT NULL,
    scenario_id TEXT NOT NULL,
    stage_id TEXT NOT NULL,
    start_at BIGINT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    topic TEXT NOT NULL,
    zoom_meeting_id BIGINT UNIQUE,
    zoom_uuid TEXT,
    join_url TEXT,
    cancel_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX meetings_by_stage ON meetings (scenario_id, stage_id, start_at);
CREATE INDEX meetings_by_start ON meetings (start_at, id);
CREATE INDEX meetings_creating ON meetings (status, lease_until);

CREATE TABLE invitees (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    role TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    stage_instance_id TEXT NOT NULL,
    removed BIGINT NOT NULL DEFAULT 0,
    position BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, email)
);
CREATE INDEX invitees_by_email ON invitees (email, meeting_id);

CREATE TABLE meeting_instances (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    stage_instance_id TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    occurrence_index BIGINT,
    PRIMARY KEY (meeting_id, stage_instance_id)
);
CREATE INDEX meeting_instances_by_instance ON meeting_instances (stage_instance_id);
CREATE INDEX meeting_instances_by_assignment ON meeting_instances (assignment_id, meeting_id);

CREATE TABLE occurrences (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    occurrence_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (meeting_id, occurrence_id)
);

-- One row per Zoom session (a recurring meeting has one per occurrence held).
CREATE TABLE sessions (
    uuid TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    occurrence_id TEXT,
    started_at BIGINT,
    ended_at BIGINT,
    end_seen_at BIGINT,
    started_published BIGINT NOT NULL DEFAULT 0,
    ended_published BIGINT NOT NULL DEFAULT 0,
    reconciled BIGINT NOT NULL DEFAULT 0,
    first_seen_at BIGINT NOT NULL,
    -- When Zoom's past-meeting report was last asked for an end that never came.
    checked_at BIGINT
);
CREATE INDEX sessions_by_meeting ON sessions (meeting_id, first_seen_at);
CREATE INDEX sessions_to_settle ON sessions (ended_published, end_seen_at);

-- Joins and leaves as a set: the same event twice is one row, whatever order they came in.
CREATE TABLE participant_events (
    session_uuid TEXT NOT NULL,
    kind TEXT NOT NULL,
    join_key TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (session_uuid, kind, join_key)
);

CREATE TABLE chat_messages (
    session_uuid TEXT NOT NULL,
    message_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    sender_email TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (session_uuid, message_id)
);
CREATE INDEX chat_messages_by_meeting ON chat_messages (meeting_id, sent_at);

-- A due stage instance whose meeting this service schedules itself: one row per instance.
CREATE TABLE auto_schedules (
    stage_instance_id TEXT PRIMARY KEY,
    scenario_id TEXT NOT NULL,
    stage_id TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    meeting_id TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX auto_schedules_pending ON auto_schedules (status, next_attempt_at);
