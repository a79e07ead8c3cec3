# Vigie's image: one image for web (gunicorn), worker and beat (Celery), and the one-shot migrate.
# Build and run: docker compose up -d --build (see .env.example and the README's "Production").
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The code runs from /app (templates/ and locale/ live beside the packages, not in site-packages).
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VIGIE_VAR_DIR=/var/lib/vigie \
    PORT=8000

RUN groupadd --system --gid 1000 vigie \
    && useradd --system --uid 1000 --gid vigie --home-dir /app --no-create-home --shell /usr/sbin/nologin vigie

WORKDIR /app

# Dependencies first (their own layer, rebuilt only when pyproject.toml changes).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the project itself, installed from pyproject.toml.
COPY . .
RUN pip install . \
    && python -m compileall -q /app \
    # Named volumes mounted on these folders start with their ownership, so the app can write there.
    && mkdir -p /var/lib/vigie/static /var/lib/vigie/media /var/lib/vigie/beat \
    && chown -R vigie:vigie /var/lib/vigie

USER vigie
EXPOSE 8000
ENTRYPOINT ["/bin/sh", "/app/docker/entrypoint.sh"]
CMD ["web"]
