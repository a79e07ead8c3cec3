"""gunicorn's access log without the secrets of calendar feed paths (core/logs.py `redact_secret_paths`) and
without the visitor of the public whistleblowing pages (no address, user agent, referrer or header of theirs:
core/logs.py `is_anonymous_request`, a request to one of their paths or sent from one of them, its Referer):
`gunicorn --logger-class core.gunicorn.RedactingLogger` (docker/entrypoint.sh)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from .logs import is_anonymous_request, redact_secret_paths

#: What a line about a public whistleblowing page keeps: when, what was asked, the answer and its timing.
ANONYMOUS_ATOMS = frozenset({"t", "r", "s", "m", "U", "q", "H", "b", "B", "D", "T", "M", "L", "p"})


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        # Every atom: the request line, the path, the raw URI and the environ's copies of them.
        atoms = super().atoms(resp, req, environ, request_time)
        if is_anonymous_request(environ.get("PATH_INFO", ""), environ.get("HTTP_REFERER", "")):
            atoms = {key: (value if key in ANONYMOUS_ATOMS else "-") for key, value in atoms.items()}
        return {key: redact_secret_paths(value) for key, value in atoms.items()}
