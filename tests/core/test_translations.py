"""The interface is French by default: every message has a translation and the compiled file is current."""

from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_every_french_message_is_translated():
    untranslated = [
        e.msgid
        for e in polib.pofile(str(PO))
        if e.msgid and not e.obsolete and (not e.translated() or "fuzzy" in e.flags)
    ]
    assert untranslated == []


def test_compiled_catalogue_matches_the_po_file():
    def entries(catalogue):
        return {
            (e.msgid, e.msgid_plural): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in catalogue if e.msgid
        }

    po = entries(e for e in polib.pofile(str(PO)) if not e.obsolete)
    mo = entries(polib.mofile(str(PO.with_suffix(".mo"))))
    assert mo == po, "run `make messages` (or compile the .po) after editing translations"


def test_french_is_the_default_and_english_is_available():
    assert settings.LANGUAGE_CODE == "fr"
    with translation.override("fr"):
        assert translation.gettext("employees") == "salariés"
    with translation.override("en"):
        assert translation.gettext("employees") == "employees"
