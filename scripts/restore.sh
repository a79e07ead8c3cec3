#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into a PostgreSQL database.
#
#   RESTORE_DATABASE_URL=postgres://user:password@host:5432/vigie scripts/restore.sh [--force] DUMP
#
# The target is RESTORE_DATABASE_URL, else DATABASE_URL (a URL in the environment, never on the command
# line: it holds the password). The database must exist (createdb it first, owned by the application's
# role). In order:
#   1. the dump's SHA-256 is checked against DUMP.sha256 (written by backup.sh): a missing or wrong
#      checksum refuses the restore;
#   2. the archive's table of contents must be readable (pg_restore --list);
#   3. a target that already holds tables, views or sequences is refused, unless --force: then its
#      objects that the dump also has are dropped first (--clean --if-exists);
#   4. pg_restore --single-transaction --exit-on-error --no-owner --no-privileges: all or nothing, the
#      objects belong to the role of the URL; then ANALYZE, so the planner has statistics at once.
#
#   --force   restore over a database that is not empty (its objects that the dump has are replaced)
#
# pg_restore is chosen as in backup.sh (Debian's, for the server's version or newer; PG_BIN forces one).
# Exit codes: as scripts/backup.sh (2 usage, 3 tools, 4 unreachable, 5 checksum, 6 not empty, 7 pg_restore).
set -euo pipefail

# shellcheck source=scripts/backup.sh
source "$(dirname "${BASH_SOURCE[0]}")/backup.sh"

restore_usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

restore_main() {
    local force=0 dump=""
    while (($#)); do
        case "$1" in
        --force) force=1; shift ;;
        -h | --help) restore_usage; exit 0 ;;
        -*) die $EXIT_USAGE "unknown option '$1' (see --help)" ;;
        *)
            [[ -z "$dump" ]] || die $EXIT_USAGE "one dump at a time ('$dump', then '$1'); the target database comes from RESTORE_DATABASE_URL or DATABASE_URL"
            dump="$1"
            shift
            ;;
        esac
    done
    [[ -n "$dump" ]] || die $EXIT_USAGE "which dump? usage: restore.sh [--force] DUMP (see --help)"
    local target="${RESTORE_DATABASE_URL:-${DATABASE_URL:-}}"
    [[ -n "$target" ]] || die $EXIT_USAGE "set RESTORE_DATABASE_URL (or DATABASE_URL) to the database to restore into"
    [[ -f "$dump" ]] || die $EXIT_USAGE "$dump: no such file"

    # 1. The checksum, before anything touches the database.
    [[ -f "$dump.sha256" ]] || die $EXIT_CHECKSUM "$dump.sha256 is missing: the dump cannot be verified, nothing was restored"
    local expected actual
    expected="$(awk 'NR == 1 {print $1}' "$dump.sha256")"
    actual="$(sha256sum -- "$dump" | awk '{print $1}')"
    [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die $EXIT_CHECKSUM "$dump.sha256 holds no SHA-256: nothing was restored"
    [[ "$actual" == "$expected" ]] ||
        die $EXIT_CHECKSUM "$dump does not match its checksum (expected $expected, got $actual): the file is damaged or not the one backed up; nothing was restored"
    echo "checksum OK: $dump" >&2

    trap pg_cleanup EXIT
    pg_url "$target"
    pg_select_bin

    # 2. A readable archive.
    local toc
    if ! toc="$("$PG_BIN/pg_restore" --list "$dump" 2>&1)"; then
        die $EXIT_TOOL_FAILED "$PG_BIN/pg_restore cannot read $dump: ${toc//$'\n'/ }"
    fi

    # 3. Never over data by accident.
    local objects
    objects="$(pg_psql -d "$PG_CONNINFO" -c "
        SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'")"
    if ((objects > 0)); then
        if ((force)); then
            echo "database '$PG_DBNAME' is not empty ($objects tables, views or sequences): --force, they are replaced" >&2
        else
            die $EXIT_NOT_EMPTY "database '$PG_DBNAME' is not empty ($objects tables, views or sequences): refusing to restore over it (use --force to replace its contents, or restore into a new database)"
        fi
    fi

    # 4. All or nothing.
    echo "restoring $dump into '$PG_DBNAME' (PostgreSQL $PG_SERVER_MAJOR) with $PG_BIN/pg_restore" >&2
    if ! "$PG_BIN/pg_restore" --dbname="$PG_CONNINFO" --clean --if-exists --single-transaction --exit-on-error \
        --no-owner --no-privileges "$dump"; then
        die $EXIT_TOOL_FAILED "pg_restore failed: the restore was rolled back, '$PG_DBNAME' is as it was"
    fi
    pg_psql -d "$PG_CONNINFO" -c "SET client_min_messages = error" -c "ANALYZE" # the shared catalogs are not ours
    local tables
    tables="$(pg_psql -d "$PG_CONNINFO" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
    echo "restored: $tables tables in '$PG_DBNAME'" >&2
}

restore_main "$@"
