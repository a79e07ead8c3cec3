"""Core periodic tasks."""
from celery import shared_task

from . import health


@shared_task(name="core.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Beat schedules this; a worker runs it: the health page shows both are alive."""
    return health.record_heartbeat().isoformat()


@shared_task(name="core.tasks.ping")
def ping(value: str = "pong") -> str:
    """Round trip through the broker and the result backend (used by the smoke test and operators)."""
    return value
