"""Counts read as French sentences (issue 16): "calculé à partir de 1 enregistrement", not "1 enregistrements"."""

from __future__ import annotations

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import ngettext

from core.imports import run_import
from core.imports.parsers import Text
from tests.factories import LegalEntityFactory

PO = settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize(
    ("singular", "plural", "one", "two"),
    [
        (
            "computed from %(count)d record",
            "computed from %(count)d records",
            "calculé à partir de 1 enregistrement",
            "calculé à partir de 2 enregistrements",
        ),
    ],
)
def test_a_count_of_one_reads_in_the_singular(singular, plural, one, two):
    with translation.override("fr"):
        assert ngettext(singular, plural, 1) % {"count": 1} == one
        assert ngettext(singular, plural, 2) % {"count": 2} == two


def test_the_text_limit_reads_in_the_singular_and_plural():
    with translation.override("fr"):
        assert Text(1).accepted == "texte, 1 caractère au plus"
        assert Text(32).accepted == "texte, 32 caractères au plus"


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_a_strict_import_with_one_rejected_row_says_so_in_the_singular(tmp_path):
    LegalEntityFactory(code="ALS")
    path = tmp_path / "roster.csv"
    path.write_text("employee_id;entity_code;hired_on\nE1;ALS;2020-01-01\nE2;NOPE;2020-01-01\n", encoding="utf-8")
    with translation.override("fr"):
        report = run_import("roster", path, strict=True)
    assert report.run.message.startswith("mode strict : 1 ligne rejetée, rien n")


def test_no_core_count_reads_with_a_plural_in_parentheses():
    entries = [
        e for e in polib.pofile(str(PO)) if not e.obsolete and any(f.startswith("core/") for f, _l in e.occurrences)
    ]
    counted = [e for e in entries if "%(count)d" in e.msgid or "%d" in e.msgid]
    assert counted
    assert [e.msgid for e in counted if "(s)" in e.msgstr and not e.msgid_plural] == []
