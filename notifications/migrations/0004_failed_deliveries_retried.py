import datetime as dt

from django.db import migrations

REASON = "never given up (issue 14): escalated, retried"


def retry_failed(apps, schema_editor):
    """Deliveries marked "failed" by the former sending, which gave up after VIGIE_ALERT_MAX_ATTEMPTS
    attempts made in seconds, were never sent: they become pending again, escalated (the health page and
    the admin count them) and due at once; their alerts are pending again. A history row each."""
    now = dt.datetime.now(dt.timezone.utc)
    for model_name, updates in (("Delivery", {"status": "pending", "escalated_at": now, "next_attempt_at": None}),
                                ("Alert", {"status": "pending"})):
        model = apps.get_model("notifications", model_name)
        historical = apps.get_model("notifications", f"Historical{model_name}")
        fields = [f.attname for f in model._meta.concrete_fields]
        rows = (model.objects.filter(status="failed") if model_name == "Delivery" else
                model.objects.filter(status="failed", deliveries__status="pending").distinct())
        for row in rows:
            for name, value in updates.items():
                setattr(row, name, value)
            row.save(update_fields=list(updates))
            historical.objects.create(history_date=now, history_type="~", history_change_reason=REASON,
                                      **{name: getattr(row, name) for name in fields})


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0003_delivery_retries_escalation'),
    ]

    operations = [
        migrations.RunPython(retry_failed, migrations.RunPython.noop),
    ]
