"""The reference training modules of docs/interfaces.md (training/reference.py), in every installation.
Existing modules with these codes are left as they are.
"""
from django.db import migrations

from training.reference import create_reference_modules as _create


def create_reference_modules(apps, schema_editor):
    _create(apps.get_model("training", "Module"), apps.get_model("training", "HistoricalModule"))


def keep_modules(apps, schema_editor):
    """Reversing leaves the modules: completions may already point at them."""


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]
    operations = [migrations.RunPython(create_reference_modules, keep_modules)]
