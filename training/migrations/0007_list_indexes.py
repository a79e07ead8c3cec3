# Issue 17: the completions list (admin and API) reads its first page from an index in its order.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0006_people_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="completion",
            index=models.Index(fields=["-completed_at", "id"], name="completion_list_idx"),
        ),
        migrations.AddIndex(
            model_name="completion",
            index=models.Index(
                condition=models.Q(("anomaly", ""), _negated=True),
                fields=["-completed_at", "id"],
                name="completion_flagged_list_idx",
            ),
        ),
    ]
