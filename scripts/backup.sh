#!/usr/bin/env bash
# Back up Vigie's PostgreSQL database (DATABASE_URL) to a timestamped custom-format dump with its SHA-256.
#
#   DATABASE_URL=postgres://user:password@host:5432/vigie scripts/backup.sh [--dir DIR] [--keep N] [--media DIR]
#       [--attachments DIR]
#
# Writes DIR/vigie-<database>-<UTC time>.dump (pg_dump -Fc: compressed, restorable table by table with
# scripts/restore.sh) and DIR/<that name>.sha256 (`sha256sum -c` format), then prints the dump's path as
# its last line. The dump is written under a temporary name and renamed when complete: a file named
# *.dump is always a whole dump. With --media DIR, also DIR's files (MEDIA_ROOT: the import files and
# rejected rows) as vigie-media-<UTC time>.tar.gz with its .sha256. With --attachments DIR, also DIR's
# files (VIGIE_WHISTLEBLOWING_FILES_ROOT: the whistleblowing reports' attachments, kept outside MEDIA_ROOT)
# as vigie-whistleblowing-<UTC time>.tar.gz with its .sha256: whistleblowing content, restrict it as the
# dumps. Archives too are written under a temporary name and renamed. --keep N deletes the older dumps of
# this database (and media and attachments archives) beyond the N newest of each.
#
#   --dir DIR     where to write (default: $BACKUP_DIR, else var/backups beside this script's project)
#   --keep N      keep the N newest backups of this database, delete older ones (default: keep all)
#   --media DIR   also archive this folder (MEDIA_ROOT)
#   --attachments DIR  also archive this folder (VIGIE_WHISTLEBLOWING_FILES_ROOT)
#
# The password never appears on a command line: it goes to a private, temporary .pgpass file (PGPASSFILE).
# pg_dump is Debian's /usr/lib/postgresql/<version>/bin one matching the server (the server's version, or
# the nearest newer one), else the pg_dump on PATH if it is not older than the server; PG_BIN=/path/to/bin
# forces a folder.
#
# Exit codes (shared with scripts/restore.sh and scripts/backup_roundtrip.sh):
#   0 done; 1 unexpected error; 2 usage or configuration (no DATABASE_URL, not a PostgreSQL URL, bad option);
#   3 no suitable PostgreSQL client tools (missing, or older than the server); 4 database not reachable;
#   5 checksum missing or wrong; 6 refused: the target database is not empty (restore without --force);
#   7 pg_dump, pg_restore or tar failed; 8 the round trip found a difference.
set -euo pipefail

# --- shared helpers (scripts/restore.sh and scripts/backup_roundtrip.sh source this file) -----------------

# shellcheck disable=SC2034 # used by the scripts that source this one
EXIT_USAGE=2 EXIT_TOOLS=3 EXIT_UNREACHABLE=4 EXIT_CHECKSUM=5 EXIT_NOT_EMPTY=6 EXIT_TOOL_FAILED=7 EXIT_DIFFERENT=8

die() {
    local code=$1
    shift
    printf '%s: %s\n' "$(basename "$0")" "$*" >&2
    exit "$code"
}

# The private temporary folder of this run (the .pgpass file), in _PG_TMP; removed by pg_cleanup.
_PG_TMP=""
pg_tmpdir() {
    if [[ -z "$_PG_TMP" ]]; then
        _PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/vigie-pg.XXXXXX")"
        chmod 700 "$_PG_TMP"
    fi
}
pg_cleanup() {
    if [[ -n "$_PG_TMP" ]]; then
        rm -rf "$_PG_TMP"
        _PG_TMP=""
    fi
}

urldecode() {
    local s="${1//\\/\\\\}"
    printf '%b' "${s//%/\\x}"
}

# pg_url URL: set PG_CONNINFO (the URL without its password: libpq reads it, query parameters such as
# sslmode included) and PG_DBNAME; the password, if any, goes to a private .pgpass (PGPASSFILE).
pg_url() {
    local url=$1 scheme rest authority tail userinfo hostport user password dbname
    [[ "$url" == *://* ]] || die $EXIT_USAGE "not a database URL (expected postgres://user:password@host:port/name)"
    scheme="${url%%://*}"
    case "$scheme" in
    postgres | postgresql | pgsql | psql | postgis) ;;
    *) die $EXIT_USAGE "not a PostgreSQL URL (scheme '$scheme'): backup and restore are for PostgreSQL" ;;
    esac
    rest="${url#*://}"
    authority="${rest%%/*}"
    tail="${rest:${#authority}}"
    if [[ "$authority" == *@* ]]; then
        userinfo="${authority%@*}"
        hostport="${authority##*@}"
    else
        userinfo=""
        hostport="$authority"
    fi
    user="${userinfo%%:*}"
    password=""
    if [[ "$userinfo" == *:* ]]; then
        password="$(urldecode "${userinfo#*:}")"
    fi
    dbname="${tail#/}"
    dbname="$(urldecode "${dbname%%\?*}")"
    [[ -n "$dbname" ]] || die $EXIT_USAGE "the database URL names no database"
    PG_CONNINFO="postgresql://${user:+$user@}${hostport}${tail}"
    PG_DBNAME="$dbname"
    if [[ -n "$password" ]]; then
        local pgpass
        pg_tmpdir
        pgpass="$_PG_TMP/pgpass"
        password="${password//\\/\\\\}"
        printf '*:*:*:*:%s\n' "${password//:/\\:}" >"$pgpass"
        chmod 600 "$pgpass"
        export PGPASSFILE="$pgpass"
    fi
}

# pg_conninfo_for NAME: the same server and user as PG_CONNINFO, another database.
pg_conninfo_for() {
    local name=$1 base query=""
    base="${PG_CONNINFO%%\?*}"
    [[ "$PG_CONNINFO" == *\?* ]] && query="?${PG_CONNINFO#*\?}"
    printf '%s/%s%s\n' "${base%/*}" "$name" "$query"
}

_major_of() { # "pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)" -> 15
    sed -E 's/^[^0-9]*([0-9]+).*/\1/' <<<"$1"
}

# pg_select_bin: set PG_BIN to a folder with pg_dump, pg_restore and psql not older than the server of
# PG_CONNINFO (PG_SERVER_MAJOR): the env's PG_BIN, else Debian's /usr/lib/postgresql/<v>/bin (the
# server's version, else the nearest newer one), else PATH.
pg_select_bin() {
    local any_psql="" v candidates=()
    if [[ -n "${PG_BIN:-}" ]]; then
        [[ -x "$PG_BIN/pg_dump" && -x "$PG_BIN/pg_restore" && -x "$PG_BIN/psql" ]] ||
            die $EXIT_TOOLS "PG_BIN=$PG_BIN has no pg_dump, pg_restore and psql"
        any_psql="$PG_BIN/psql"
    else
        while IFS= read -r v; do
            [[ -x "/usr/lib/postgresql/$v/bin/pg_dump" && -x "/usr/lib/postgresql/$v/bin/pg_restore" ]] &&
                candidates+=("$v")
        done < <(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V)
        if ((${#candidates[@]})); then
            any_psql="/usr/lib/postgresql/${candidates[-1]}/bin/psql"
        fi
        [[ -x "$any_psql" ]] || any_psql="$(command -v psql || true)"
        [[ -n "$any_psql" ]] || die $EXIT_TOOLS "no psql: install the PostgreSQL client (apt-get install postgresql-client)"
    fi
    local server
    if ! server="$("$any_psql" -X -At -v ON_ERROR_STOP=1 -d "$PG_CONNINFO" -c 'SHOW server_version_num' 2>&1)"; then
        die $EXIT_UNREACHABLE "cannot connect to database '$PG_DBNAME': ${server//$'\n'/ }"
    fi
    PG_SERVER_MAJOR=$((server / 10000))
    if [[ -n "${PG_BIN:-}" ]]; then
        :
    else
        PG_BIN=""
        for v in "${candidates[@]}"; do
            if ((${v%%.*} >= PG_SERVER_MAJOR)); then
                PG_BIN="/usr/lib/postgresql/$v/bin"
                break
            fi
        done
        if [[ -z "$PG_BIN" ]] && command -v pg_dump >/dev/null && command -v pg_restore >/dev/null; then
            PG_BIN="$(dirname "$(command -v pg_dump)")"
        fi
        [[ -n "$PG_BIN" ]] || die $EXIT_TOOLS "no pg_dump for PostgreSQL $PG_SERVER_MAJOR (install postgresql-client-$PG_SERVER_MAJOR)"
    fi
    local client
    client="$(_major_of "$("$PG_BIN/pg_dump" --version)")"
    ((client >= PG_SERVER_MAJOR)) ||
        die $EXIT_TOOLS "$PG_BIN/pg_dump is PostgreSQL $client, the server is $PG_SERVER_MAJOR: use a client at least as new (PG_BIN=...)"
    export PG_BIN PG_SERVER_MAJOR
}

# pg_psql ARGS...: psql on PG_CONNINFO (or on -d given in ARGS), quiet, stop on error, unaligned.
pg_psql() {
    "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"
}

# sha256_write FILE: FILE.sha256 in `sha256sum -c` format (the name without its folder).
sha256_write() {
    local file=$1
    (cd "$(dirname "$file")" && sha256sum -- "$(basename "$file")") >"$file.sha256.part"
    mv -f "$file.sha256.part" "$file.sha256"
}

# --- backup ----------------------------------------------------------------------------------------------

backup_usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

# backup_archive LABEL SRC ARCHIVE: SRC's contents as ARCHIVE (tar.gz, written as ARCHIVE.part and renamed
# when complete) and ARCHIVE.sha256; a tar failure leaves no archive and exits 7.
backup_archive() {
    local label=$1 src=$2 archive=$3
    echo "archiving the $label folder $src" >&2
    if ! tar -C "$src" -czf "$archive.part" .; then
        rm -f "$archive.part"
        die $EXIT_TOOL_FAILED "tar failed on $src: no $label archive was written"
    fi
    mv -f "$archive.part" "$archive"
    sha256_write "$archive"
    echo "$label: $archive" >&2
}

# backup_prune_archives DIR PREFIX KEEP: delete DIR/PREFIX-*.tar.gz (and their .sha256) beyond the KEEP newest.
backup_prune_archives() {
    local dir=$1 prefix=$2 keep=$3 old
    while IFS= read -r old; do
        rm -f -- "$old" "$old.sha256"
    done < <(find "$dir" -maxdepth 1 -name "$prefix-*.tar.gz" -printf '%f\n' | sort -r |
        tail -n +$((keep + 1)) | sed "s|^|$dir/|")
}

backup_main() {
    local dir="${BACKUP_DIR:-}" keep="" media="" attachments=""
    while (($#)); do
        case "$1" in
        --dir) dir="${2:?--dir needs a folder}"; shift 2 ;;
        --dir=*) dir="${1#*=}"; shift ;;
        --keep) keep="${2:?--keep needs a number}"; shift 2 ;;
        --keep=*) keep="${1#*=}"; shift ;;
        --media) media="${2:?--media needs a folder}"; shift 2 ;;
        --media=*) media="${1#*=}"; shift ;;
        --attachments) attachments="${2:?--attachments needs a folder}"; shift 2 ;;
        --attachments=*) attachments="${1#*=}"; shift ;;
        -h | --help) backup_usage; exit 0 ;;
        *) die $EXIT_USAGE "unknown argument '$1' (see --help)" ;;
        esac
    done
    [[ -n "${DATABASE_URL:-}" ]] || die $EXIT_USAGE "DATABASE_URL is not set: which database should be backed up?"
    [[ -z "$keep" || "$keep" =~ ^[1-9][0-9]*$ ]] || die $EXIT_USAGE "--keep needs a number of at least 1, not '$keep'"
    [[ -z "$media" || -d "$media" ]] || die $EXIT_USAGE "--media $media: no such folder"
    [[ -z "$attachments" || -d "$attachments" ]] || die $EXIT_USAGE "--attachments $attachments: no such folder"
    if [[ -z "$dir" ]]; then
        dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/var/backups"
    fi
    trap pg_cleanup EXIT
    pg_url "$DATABASE_URL"
    pg_select_bin
    mkdir -p "$dir"
    umask 077 # a dump holds personal data: readable by its owner only

    local stamp safe_name dump
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"
    safe_name="$(tr -c 'A-Za-z0-9_.-' '_' <<<"$PG_DBNAME" | sed 's/_$//')"
    dump="$dir/vigie-$safe_name-$stamp.dump"
    [[ ! -e "$dump" ]] || die $EXIT_USAGE "$dump already exists"
    echo "backing up database '$PG_DBNAME' (PostgreSQL $PG_SERVER_MAJOR) with $PG_BIN/pg_dump" >&2
    if ! "$PG_BIN/pg_dump" --format=custom --lock-wait-timeout=120s --file="$dump.part" --dbname="$PG_CONNINFO"; then
        rm -f "$dump.part"
        die $EXIT_TOOL_FAILED "pg_dump failed: no backup was written"
    fi
    # The archive must be readable back: its table of contents lists the tables.
    if ! "$PG_BIN/pg_restore" --list "$dump.part" >/dev/null; then
        rm -f "$dump.part"
        die $EXIT_TOOL_FAILED "pg_restore cannot read the dump pg_dump wrote: no backup was kept"
    fi
    mv -f "$dump.part" "$dump"
    sha256_write "$dump"

    if [[ -n "$media" ]]; then
        backup_archive media "$media" "$dir/vigie-media-$stamp.tar.gz"
    fi
    if [[ -n "$attachments" ]]; then
        # The whistleblowing reports' attachments (VIGIE_WHISTLEBLOWING_FILES_ROOT), outside MEDIA_ROOT.
        backup_archive "whistleblowing attachments" "$attachments" "$dir/vigie-whistleblowing-$stamp.tar.gz"
    fi

    if [[ -n "$keep" ]]; then
        local old
        # Names sort by time (UTC stamp); keep the newest $keep of each series.
        while IFS= read -r old; do
            echo "deleting old backup $old" >&2
            rm -f -- "$old" "$old.sha256"
        done < <(find "$dir" -maxdepth 1 -name "vigie-$safe_name-*.dump" -printf '%f\n' | sort -r |
            tail -n +$((keep + 1)) | sed "s|^|$dir/|")
        if [[ -n "$media" ]]; then
            backup_prune_archives "$dir" vigie-media "$keep"
        fi
        if [[ -n "$attachments" ]]; then
            backup_prune_archives "$dir" vigie-whistleblowing "$keep"
        fi
    fi
    echo "backup: $(du -h "$dump" | cut -f1) in $dump (checksum in $dump.sha256)" >&2
    printf '%s\n' "$dump"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    backup_main "$@"
fi
