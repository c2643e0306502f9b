-- ResolveParticipants now reads only which instances are open (id, assignment, due time, status);
-- names and time zones come from the assignments' people. A narrower index is cheaper to write
-- for every stage instance an assignment creates.
DROP INDEX IF EXISTS stage_instances_cohort;
CREATE INDEX stage_instances_cohort ON stage_instances (scenario_id, stage_id, status, due_at, id, assignment_id);
