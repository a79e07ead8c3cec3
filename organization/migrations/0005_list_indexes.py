# Issue 17: (the employees list reads its first page from 0004's index in its order) the head counts of the
# entities and departments lists read indexes only, and the search of the
# employees (and of the completions, by employee) uses trigram indexes on PostgreSQL (core/postgres.py).

from django.db import migrations, models

from core.postgres import AddPostgresIndex, SharedTrigramExtension, trigram_index


class Migration(migrations.Migration):
    dependencies = [
        ("organization", "0004_people_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="employee",
            index=models.Index(fields=["entity", "hired_on", "left_on"], name="employee_entity_presence_idx"),
        ),
        migrations.AddIndex(
            model_name="employee",
            index=models.Index(fields=["department", "hired_on", "left_on"], name="employee_dept_presence_idx"),
        ),
        SharedTrigramExtension(),  # nothing on SQLite
        AddPostgresIndex("employee", trigram_index("employee_id", "employee_id_trgm")),
        AddPostgresIndex("employee", trigram_index("last_name", "employee_last_name_trgm")),
        AddPostgresIndex("employee", trigram_index("first_name", "employee_first_name_trgm")),
        AddPostgresIndex("employee", trigram_index("email", "employee_email_trgm")),
    ]
