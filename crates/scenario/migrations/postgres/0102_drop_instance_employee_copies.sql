-- Stage instances carried copies of their employee's e-mail, name and time zone for the cohort
-- query; it now reads them from the assignment's people, so nothing reads these copies and every
-- assignment would keep writing fourteen of each.
ALTER TABLE stage_instances DROP COLUMN employee_email;
ALTER TABLE stage_instances DROP COLUMN employee_name;
ALTER TABLE stage_instances DROP COLUMN employee_time_zone;
