#!/usr/bin/env bash
# Creates one role and one database per service (no service reads another's tables). The
# postgres image runs this once, when its data directory is first initialised; each service
# applies its own migrations at start-up (or `butterboard migrate`).
#
# Role names are the service names with underscores; each password is the role name followed by
# "-dev", unless <ROLE>_PASSWORD is set (e.g. SCENARIO_PASSWORD). For a laptop only.
set -euo pipefail

for role in scenario meeting_orchestrator zoom_webhook_ingest recording_archiver feedback; do
    password_variable="${role^^}_PASSWORD"
    password="${!password_variable:-${role}-dev}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v role="$role" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
