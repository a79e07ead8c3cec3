"""The alerts written before the "without recipient" flag (Alert.unaddressed) that went to nobody (no delivery
row, not acknowledged) get the flag, with a history row each, so that the health page, the desk and the next
sweep (which resolves them again, notifications/sweep.py `readdress`) find them by the flag's index alone."""

import datetime as dt

from django.db import migrations
from django.db.models import Exists, OuterRef

REASON = "no recipient (issue 19): flagged"


def flag(apps, schema_editor):
    Alert = apps.get_model("notifications", "Alert")
    Delivery = apps.get_model("notifications", "Delivery")
    historical = apps.get_model("notifications", "HistoricalAlert")
    now = dt.datetime.now(dt.timezone.utc)
    fields = [f.attname for f in Alert._meta.concrete_fields]
    rows = Alert.objects.exclude(status="acknowledged").exclude(Exists(Delivery.objects.filter(alert=OuterRef("pk"))))
    flagged = list(rows.filter(unaddressed=False))
    Alert.objects.filter(pk__in=[row.pk for row in flagged]).update(unaddressed=True)
    history = []
    for row in flagged:
        row.unaddressed = True
        history.append(
            historical(
                history_date=now,
                history_type="~",
                history_change_reason=REASON,
                **{name: getattr(row, name) for name in fields},
            )
        )
    historical.objects.bulk_create(history, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0006_people_entities")]

    operations = [migrations.RunPython(flag, migrations.RunPython.noop)]
