#!/bin/sh
# The one entry point of the Vigie image: `web`, `worker`, `beat`, `migrate` (one-shot: migrations,
# static files, roles), `manage ARGS...` (any manage.py command), or any other command as is.
set -eu

cd "$(dirname "$0")/.."  # /app in the image

case "${1:-web}" in
web)
    shift || true
    exec gunicorn config.wsgi \
        --bind "0.0.0.0:${PORT:-8000}" \
        --workers "${WEB_CONCURRENCY:-3}" \
        --timeout "${GUNICORN_TIMEOUT:-120}" \
        --access-logfile - --error-logfile - \
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
