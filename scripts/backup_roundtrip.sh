#!/usr/bin/env bash
# Prove that a backup restores: back up a database full of real data with scripts/backup.sh, restore it
# into a new database with scripts/restore.sh, and compare the two. Run by CI (.ci/run) and by hand.
#
#   DATABASE_URL=postgres://user:password@host:5432/postgres scripts/backup_roundtrip.sh [--no-demo] [--keep]
#
# DATABASE_URL names a PostgreSQL server and a database to connect to; its role must be allowed to create
# databases (CREATEDB). The script:
#   1. creates two new databases, vigie_roundtrip_<id>_src and _dst (dropped on exit, whatever happens);
#   2. in _src: manage.py migrate, setup_roles and load_demo (the demo data set; with --no-demo, a few
#      imported entities, employees and rights requests instead: fast, for a quick check);
#   3. fingerprints _src: for every table (history tables included) its row count and the MD5 of its rows
#      in primary-key order, every sequence's position, and the 2023 indicators export
#      (manage.py export_indicators --year 2023 --format json, without its generation time);
#   4. backs _src up with scripts/backup.sh, restores the dump into _dst with scripts/restore.sh;
#   5. fingerprints _dst and compares: any difference fails, and is printed;
#   6. proves the restored database works: manage.py migrate --check (no migration missing) and an import
#      into it (new rows, their ids from the restored sequences, their history rows).
#
#   --no-demo   a small data set instead of load_demo (seconds instead of a minute)
#   --keep      keep the two databases and the work folder (to look at them); printed at the end
#
# Uses the project's .venv/bin/python (else python3; PYTHON=... forces one) and DJANGO_SETTINGS_MODULE
# (default config.settings.local), with REDIS_URL unset and VIGIE_VAR_DIR in a temporary folder.
# Exit codes: as scripts/backup.sh; 8 when the restored database differs from the original or does not work.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/backup.sh
source "$ROOT/scripts/backup.sh"

roundtrip_usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

# url_with_db URL NAME: URL with its database replaced by NAME (password and parameters kept).
url_with_db() {
    local url=$1 name=$2 scheme rest authority tail query=""
    scheme="${url%%://*}"
    rest="${url#*://}"
    authority="${rest%%/*}"
    tail="${rest:${#authority}}"
    [[ "$tail" == *\?* ]] && query="?${tail#*\?}"
    printf '%s://%s/%s%s\n' "$scheme" "$authority" "$name" "$query"
}

FINGERPRINT_SQL="
WITH tables AS (
    SELECT format('%I.%I', n.nspname, c.relname) AS name,
           coalesce((SELECT string_agg(format('x.%I', a.attname), ', ' ORDER BY k.ord)
                     FROM pg_index i
                     CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     WHERE i.indrelid = c.oid AND i.indisprimary), 'x::text') AS order_by
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%'
), measured AS (
    SELECT name, query_to_xml(format(
        'SELECT count(*) AS n, coalesce(md5(string_agg(x::text, E''\n'' ORDER BY %s)), ''-'') AS h FROM %s x',
        order_by, name), false, true, '') AS r
    FROM tables
)
SELECT 'table ' || name || ' rows=' || (xpath('/row/n/text()', r))[1]::text
       || ' md5=' || (xpath('/row/h/text()', r))[1]::text
FROM measured
UNION ALL
SELECT 'sequence ' || format('%I.%I', schemaname, sequencename) || ' last_value=' || coalesce(last_value::text, 'unused')
FROM pg_sequences
ORDER BY 1"

roundtrip_main() {
    local demo=1 keep=0
    while (($#)); do
        case "$1" in
        --no-demo) demo=0; shift ;;
        --keep) keep=1; shift ;;
        -h | --help) roundtrip_usage; exit 0 ;;
        *) die $EXIT_USAGE "unknown argument '$1' (see --help)" ;;
        esac
    done
    [[ -n "${DATABASE_URL:-}" ]] || die $EXIT_USAGE "DATABASE_URL is not set: a PostgreSQL server where this role may create databases"
    local started admin_url
    started=$(date +%s)
    admin_url="$DATABASE_URL"
    trap pg_cleanup EXIT # until the databases exist (then roundtrip_cleanup, which calls it too)
    pg_url "$admin_url"
    pg_select_bin
    local admin="$PG_CONNINFO"

    local python="${PYTHON:-}"
    if [[ -z "$python" ]]; then
        if [[ -x "$ROOT/.venv/bin/python" ]]; then python="$ROOT/.venv/bin/python"; else python="$(command -v python3)"; fi
    fi

    local id work src dst
    id="$(date -u +%Y%m%d%H%M%S)_$$"
    src="vigie_roundtrip_${id}_src"
    dst="vigie_roundtrip_${id}_dst"
    work="$(mktemp -d "${TMPDIR:-/tmp}/vigie-roundtrip.XXXXXX")"
    # shellcheck disable=SC2064 # the names are fixed now
    trap "roundtrip_cleanup '$admin' '$src' '$dst' '$work' $keep" EXIT

    echo "== creating databases $src and $dst (PostgreSQL $PG_SERVER_MAJOR, $PG_BIN)"
    local db
    for db in "$src" "$dst"; do
        pg_psql -d "$admin" -c "CREATE DATABASE \"$db\" ENCODING 'UTF8' TEMPLATE template0" 2>/dev/null ||
            pg_psql -d "$admin" -c "CREATE DATABASE \"$db\"" ||
            die $EXIT_UNREACHABLE "cannot create database $db (the role needs CREATEDB)"
    done
    local src_url dst_url
    src_url="$(url_with_db "$admin_url" "$src")"
    dst_url="$(url_with_db "$admin_url" "$dst")"

    demo_password="roundtrip-$("$python" -c 'import secrets; print(secrets.token_urlsafe(18))')"
    manage() { # manage DATABASE_URL ARGS...
        local url=$1
        shift
        # The demo on PostgreSQL is a demonstration server's (load_demo refuses otherwise): a password of its own.
        (cd "$ROOT" && env -u REDIS_URL DATABASE_URL="$url" VIGIE_VAR_DIR="$work/var" \
            VIGIE_DEMO_SERVER=true VIGIE_DEMO_PASSWORD="$demo_password" \
            DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}" LOG_LEVEL=WARNING \
            "$python" manage.py "$@")
    }

    echo "== $src: migrate, setup_roles, $([[ $demo == 1 ]] && echo load_demo || echo 'a small imported data set')"
    manage "$src_url" migrate --noinput -v 0 || die 1 "manage.py migrate failed on $src"
    manage "$src_url" setup_roles -v 0 || die 1 "manage.py setup_roles failed on $src"
    if ((demo)); then
        manage "$src_url" load_demo >"$work/load_demo.log" || die 1 "manage.py load_demo failed on $src"
    else
        roundtrip_small_data "$src_url" || die 1 "the small data set could not be imported into $src"
    fi

    echo "== fingerprint of $src"
    fingerprint "$src" "$src_url" >"$work/src.fingerprint"

    echo "== backup (scripts/backup.sh)"
    local dump
    dump="$(DATABASE_URL="$src_url" "$ROOT/scripts/backup.sh" --dir "$work/backups" | tail -n 1)"
    [[ -f "$dump" && -f "$dump.sha256" ]] || die $EXIT_TOOL_FAILED "backup.sh wrote no dump"

    echo "== restore into $dst (scripts/restore.sh)"
    RESTORE_DATABASE_URL="$dst_url" "$ROOT/scripts/restore.sh" "$dump"

    echo "== fingerprint of $dst"
    fingerprint "$dst" "$dst_url" >"$work/dst.fingerprint"

    local tables rows history sequences
    tables="$(grep -c '^table ' "$work/src.fingerprint")"
    history="$(grep -c '^table [^ ]*historical' "$work/src.fingerprint" || true)"
    sequences="$(grep -c '^sequence ' "$work/src.fingerprint" || true)"
    rows="$(awk '/^table / { sub(/.* rows=/, ""); total += $1 } END { print total + 0 }' "$work/src.fingerprint")"
    if ! diff -u "$work/src.fingerprint" "$work/dst.fingerprint" >"$work/fingerprint.diff"; then
        head -n 60 "$work/fingerprint.diff" >&2
        die $EXIT_DIFFERENT "the restored database differs from the original (diff above; full: $work/fingerprint.diff)"
    fi
    ((rows > 0)) || die $EXIT_DIFFERENT "the original database holds no row: nothing was proven"

    echo "== the restored database works"
    if ! manage "$dst_url" migrate --check >"$work/migrate-check.log" 2>&1; then
        cat "$work/migrate-check.log" >&2
        die $EXIT_DIFFERENT "manage.py migrate --check fails on the restored database"
    fi
    printf 'code,name\nRT-%s,Round trip check\n' "$id" >"$work/after-restore.csv"
    if ! manage "$dst_url" import_entities "$work/after-restore.csv" >"$work/after-restore.log" 2>&1; then
        cat "$work/after-restore.log" >&2
        die $EXIT_DIFFERENT "an import into the restored database failed"
    fi
    local written
    written="$(pg_psql -d "$(pg_conninfo_for "$dst")" -c "
        SELECT count(*) FROM organization_legalentity e JOIN organization_historicallegalentity h ON h.id = e.id
        WHERE e.code = 'RT-$id'")"
    [[ "$written" == 1 ]] || die $EXIT_DIFFERENT "the import into the restored database left no record with its history row"

    printf '\n== backup round trip OK in %ss\n' "$(($(date +%s) - started))"
    printf '   %s tables (%s history tables), %s rows, %s sequences: identical after restore\n' \
        "$tables" "$history" "$rows" "$sequences"
    printf '   2023 indicators export: identical (%s values)\n' \
        "$(grep -c '"code"' "$work/$src.export.json" || true)"
    printf '   dump: %s (%s, SHA-256 verified); restored database: migrations complete, writable\n' \
        "$(basename "$dump")" "$(du -h "$dump" | cut -f1)"
}

# fingerprint NAME URL: the table/sequence lines, then the export (its own file, compared here).
fingerprint() {
    local name=$1 url=$2
    manage "$url" export_indicators --year 2023 --format json >"$work/$name.export.raw.json" ||
        die 1 "manage.py export_indicators failed on $name"
    "$python" -c '
import json, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
data.pop("generated_at", None)  # the time of the export, not of the data
json.dump(data, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False, indent=1, sort_keys=True)
' "$work/$name.export.raw.json" "$work/$name.export.json"
    pg_psql -d "$(pg_conninfo_for "$name")" -c "$FINGERPRINT_SQL"
    printf 'export_indicators 2023 sha256=%s\n' "$(sha256sum <"$work/$name.export.json" | cut -d' ' -f1)"
}

# A few imported records (with their history rows, ledger rows and pauses) instead of the demo data.
roundtrip_small_data() {
    local url=$1
    printf 'code;name;parent_code\nRT-GRP;Groupe;\nRT-SUB;Filiale;RT-GRP\n' >"$work/entities.csv"
    {
        printf 'employee_id;last_name;first_name;entity_code;department;hired_on;left_on\n'
        for n in $(seq 1 40); do
            printf 'RT%04d;Nom%s;Prénom%s;RT-SUB;Service %s;2019-01-%02d;\n' "$n" "$n" "$n" $((n % 4)) $((n % 28 + 1))
        done
    } >"$work/roster.csv"
    {
        printf 'reference;received_at;right;channel;identity_requested_at;identity_received_at;answered_at;outcome\n'
        for n in $(seq 1 30); do
            printf 'RT-DSR-%03d;%02d/03/2023 10:00;access;email;%s;%s;%s;%s\n' "$n" $((n % 28 + 1)) \
                "$([[ $((n % 3)) == 0 ]] && printf '%02d/03/2023' $((n % 28 + 1)))" \
                "$([[ $((n % 3)) == 0 ]] && printf '10/04/2023')" \
                "$([[ $((n % 2)) == 0 ]] && printf '20/04/2023')" "$([[ $((n % 2)) == 0 ]] && printf 'granted')"
        done
    } >"$work/rights.csv"
    # Called in a `||` list, where `set -e` does not apply: each step checks itself.
    manage "$url" import_entities "$work/entities.csv" >/dev/null || return 1
    manage "$url" import_roster "$work/roster.csv" >/dev/null || return 1
    manage "$url" import_rights_requests "$work/rights.csv" >/dev/null || return 1
}

roundtrip_cleanup() {
    local rc=$? admin=$1 src=$2 dst=$3 work=$4 keep=$5
    if ((keep)); then
        echo "kept: databases $src and $dst, work folder $work" >&2
    else
        local db
        for db in "$src" "$dst"; do
            pg_psql -d "$admin" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" 2>/dev/null ||
                pg_psql -d "$admin" -c "DROP DATABASE IF EXISTS \"$db\"" ||
                echo "could not drop database $db: drop it by hand" >&2
        done
        rm -rf "$work"
    fi
    pg_cleanup
    exit "$rc"
}

roundtrip_main "$@"
