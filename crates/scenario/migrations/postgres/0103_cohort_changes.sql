-- What lets a replica keep a stage's cohort between ResolveParticipants calls: every transaction
-- that adds, removes or changes the status of stage instances adds weight here for their
-- scenarios. Rows are only ever added, and compaction replaces a scenario's rows by one row of
-- the same total in one transaction, so the total per scenario grows with every committed change
-- and with nothing else. A cohort read in the same statement as that total is still current
-- while the total is unchanged.
--
-- One row per change, not a counter per scenario: a counter row would be locked by each
-- assignment until its commit, and concurrent assignments to one scenario would queue on it.
CREATE TABLE IF NOT EXISTS cohort_changes (
    scenario_id TEXT   NOT NULL,
    weight      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS cohort_changes_scenario ON cohort_changes (scenario_id);

-- Statement-level: an assignment's fourteen instances add one row, not fourteen. Only a status
-- change moves an instance into or out of a cohort or changes what it shows, so the scheduler's
-- and feedback's other updates add nothing.
CREATE OR REPLACE FUNCTION stage_instances_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cohort_changes (scenario_id, weight) SELECT DISTINCT scenario_id, 1 FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO cohort_changes (scenario_id, weight) SELECT DISTINCT scenario_id, 1 FROM old_rows;
    ELSE
        INSERT INTO cohort_changes (scenario_id, weight)
            SELECT DISTINCT changed.scenario_id, 1
            FROM new_rows n JOIN old_rows o ON o.id = n.id,
                 LATERAL (VALUES (n.scenario_id), (o.scenario_id)) AS changed (scenario_id)
            WHERE n.status IS DISTINCT FROM o.status OR n.scenario_id IS DISTINCT FROM o.scenario_id;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS stage_instances_cohort_insert ON stage_instances;
CREATE TRIGGER stage_instances_cohort_insert AFTER INSERT ON stage_instances
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stage_instances_note_change();
DROP TRIGGER IF EXISTS stage_instances_cohort_update ON stage_instances;
CREATE TRIGGER stage_instances_cohort_update AFTER UPDATE ON stage_instances
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION stage_instances_note_change();
DROP TRIGGER IF EXISTS stage_instances_cohort_delete ON stage_instances;
CREATE TRIGGER stage_instances_cohort_delete AFTER DELETE ON stage_instances
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stage_instances_note_change();
