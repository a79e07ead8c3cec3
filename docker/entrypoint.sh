#!/bin/sh
# The one entry point of the Vigie image: `web`, `worker`, `beat`, `migrate` (one-shot: migrations,
# static files, roles), `manage ARGS...` (any manage.py command), or any other command as is.
set -eu

cd "$(dirname "$0")/.."  # /app in the image

# The image runs production only: started with other settings (a DJANGO_SETTINGS_MODULE copied from a
# development shell, say) it would serve DEBUG pages, write SQLite and mail files inside the container.
case "${1:-web}" in
web | worker | beat | migrate | manage)
    if [ "${DJANGO_SETTINGS_MODULE:-}" != "config.settings.production" ]; then
        echo "vigie: refusing to start '${1:-web}' with DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-<unset>}:" \
            "the image runs config.settings.production only." >&2
        exit 2
    fi
    ;;
esac

case "${1:-web}" in
web)
    shift || true
    exec gunicorn config.wsgi \
        --bind "0.0.0.0:${PORT:-8000}" \
        --workers "${WEB_CONCURRENCY:-3}" \
        --timeout "${GUNICORN_TIMEOUT:-120}" \
        --access-logfile - --error-logfile - --logger-class core.gunicorn.RedactingLogger \
        "$@"
    ;;
worker)
    shift || true
    exec celery -A config worker --loglevel="${LOG_LEVEL:-INFO}" --concurrency="${CELERY_CONCURRENCY:-2}" "$@"
    ;;
beat)
    # Exactly one beat per deployment: its schedule file lives on its own volume.
    shift || true
    exec celery -A config beat --loglevel="${LOG_LEVEL:-INFO}" \
        --schedule="${CELERY_BEAT_SCHEDULE:-/var/lib/vigie/beat/celerybeat-schedule}" "$@"
    ;;
migrate)
    python manage.py migrate --noinput
    python manage.py collectstatic --noinput
    python manage.py setup_roles
    ;;
manage)
    shift
    exec python manage.py "$@"
    ;;
*)
    exec "$@"
    ;;
esac
