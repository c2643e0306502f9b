-- What lets the service keep a stage's cohort between ResolveParticipants calls: every change that
-- adds, removes or changes the status of a stage instance adds weight to its scenario's total.
-- The total grows with every committed change and with nothing else, so a cohort read in the same
-- statement as the total is still current while the total is unchanged. SQLite has one writer at a
-- time, so one counter row per scenario costs no waiting (PostgreSQL keeps one row per change).
CREATE TABLE IF NOT EXISTS cohort_changes (
    scenario_id TEXT    NOT NULL PRIMARY KEY,
    weight      INTEGER NOT NULL
);

CREATE TRIGGER IF NOT EXISTS stage_instances_cohort_insert AFTER INSERT ON stage_instances
BEGIN
    INSERT INTO cohort_changes (scenario_id, weight) VALUES (NEW.scenario_id, 1)
        ON CONFLICT (scenario_id) DO UPDATE SET weight = weight + 1;
END;

-- Only a status change moves an instance into or out of a cohort or changes what it shows.
CREATE TRIGGER IF NOT EXISTS stage_instances_cohort_update AFTER UPDATE OF status, scenario_id ON stage_instances
WHEN NEW.status IS NOT OLD.status OR NEW.scenario_id IS NOT OLD.scenario_id
BEGIN
    INSERT INTO cohort_changes (scenario_id, weight) VALUES (NEW.scenario_id, 1)
        ON CONFLICT (scenario_id) DO UPDATE SET weight = weight + 1;
    INSERT INTO cohort_changes (scenario_id, weight) VALUES (OLD.scenario_id, 1)
        ON CONFLICT (scenario_id) DO UPDATE SET weight = weight + 1;
END;

CREATE TRIGGER IF NOT EXISTS stage_instances_cohort_delete AFTER DELETE ON stage_instances
BEGIN
    INSERT INTO cohort_changes (scenario_id, weight) VALUES (OLD.scenario_id, 1)
        ON CONFLICT (scenario_id) DO UPDATE SET weight = weight + 1;
END;
