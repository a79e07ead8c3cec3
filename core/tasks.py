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


@shared_task(name="core.tasks.anonymise_expired", acks_late=True, ignore_result=True)
def anonymise_expired() -> dict:
    """The daily personal-data retention run (core/retention.py). Idempotent: anonymised records carry
    their marker, so a task delivered again (acks_late) or a missed day does only what is left."""
    from . import retention

    record = retention.run()
    return {"run": record.pk, "anonymised": record.anonymised}


@shared_task(name="core.tasks.mark_interrupted_imports", ignore_result=True)
def mark_interrupted_imports() -> list[int]:
    """Mark the imports whose process died as interrupted (they also are at the next import and in the admin)."""
    from .models import ImportRun

    return ImportRun.objects.mark_interrupted()


@shared_task(name="core.tasks.purge_login_records", acks_late=True, ignore_result=True)
def purge_login_records() -> dict[str, int]:
    """Delete the login records (django-axes) older than VIGIE_LOGIN_RECORDS_DAYS: user names, addresses
    and browsers are personal data, kept only as long as they serve security."""
    import datetime as dt

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.conf import settings
    from django.utils import timezone

    cutoff = timezone.now() - dt.timedelta(days=settings.VIGIE_LOGIN_RECORDS_DAYS)
    # AccessAttempt: a failure count past its cool-off locks nobody any more (axes drops those at each
    # login anyway).
    return {
        model.__name__: model.objects.filter(attempt_time__lt=cutoff).delete()[0]
        for model in (AccessLog, AccessFailureLog, AccessAttempt)
    }
