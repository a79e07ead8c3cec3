"""Container health checks (no curl in the slim image).

`python docker/healthcheck.py web`: GET /health/ on the local gunicorn, as the reverse proxy would
send it (an allowed Host, X-Forwarded-Proto: https, so production's HTTPS redirect does not apply);
healthy on 200 (the database answers).
`python docker/healthcheck.py scheduler`: beat fired the heartbeat and a worker ran it recently
(core.health.status()["scheduler"] == "ok"), read from the shared cache.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path


def check_web() -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip() and h.strip() != "*"]
    host = hosts[0].lstrip(".") if hosts else "localhost"
    request = urllib.request.Request(
        f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health/",
        headers={"Host": host, "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read(500)
            print(body.decode(errors="replace"))
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {exc}")
        return 1


def check_scheduler() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()
    from core.health import last_heartbeat, status

    state = status()["scheduler"]
    print(f"scheduler={state} last_heartbeat={last_heartbeat()}")
    return 0 if state == "ok" else 1


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "web"
    sys.exit({"web": check_web, "scheduler": check_scheduler}[what]())
