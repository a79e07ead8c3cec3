"""gunicorn's access log without the secrets of calendar feed paths (core/logs.py `redact_secret_paths`):
`gunicorn --logger-class core.gunicorn.RedactingLogger` (docker/entrypoint.sh)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from .logs import redact_secret_paths


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        # Every atom: the request line, the path, the raw URI and the environ's copies of them.
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact_secret_paths(value) for key, value in atoms.items()}
