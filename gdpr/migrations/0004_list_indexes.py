# Issue 17: the rights requests list reads its first page from an index in its order, and its search
# (reference, requester's name or e-mail, `icontains`) uses trigram indexes on PostgreSQL (core/postgres.py).

from django.db import migrations, models

from core.postgres import AddPostgresIndex, SharedTrigramExtension, trigram_index


class Migration(migrations.Migration):
    dependencies = [
        ("gdpr", "0003_complaint_may_have_reply_date"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="rightsrequest",
            index=models.Index(fields=["-received_at", "-id"], name="rightsrequest_list_idx"),
        ),
        SharedTrigramExtension(),  # nothing on SQLite
        AddPostgresIndex("rightsrequest", trigram_index("reference", "rightsrequest_ref_trgm")),
        AddPostgresIndex("rightsrequest", trigram_index("requester_name", "rightsrequest_name_trgm")),
        AddPostgresIndex("rightsrequest", trigram_index("requester_email", "rightsrequest_email_trgm")),
    ]
