"""The public channel's forms: plain HTML, no JavaScript. The files are checked here (one error per refused
file, in the active language, naming it) before anything is written."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _, ngettext

from ..choices import AuthorRelation, Category
from ..services.attachments import accepted_types, validate_upload


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files (at most VIGIE_WHISTLEBLOWING_MAX_FILES), each checked by validate_upload."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", ",".join(f".{ext}" for ext in accepted_types()))

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [item for item in (data if isinstance(data, (list, tuple)) else [data]) if item]
        limit = settings.VIGIE_WHISTLEBLOWING_MAX_FILES
        if len(files) > limit:
            raise ValidationError(
                ngettext(
                    "At most %(limit)d file can be sent at once.", "At most %(limit)d files can be sent at once.", limit
                )
                % {"limit": limit},
                code="too_many_files",
            )
        errors: list[ValidationError] = []
        for item in files:
            try:
                validate_upload(item)
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return files


def files_help() -> str:
    return str(
        _("Up to %(count)s files of %(size)s MB at most each; accepted types: %(types)s.")
        % {
            "count": settings.VIGIE_WHISTLEBLOWING_MAX_FILES,
            "size": settings.VIGIE_WHISTLEBLOWING_MAX_FILE_MB,
            "types": ", ".join(accepted_types()),
        }
    )


class ReportForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it about?"), choices=[("", "—"), *Category.choices])
    facts = forms.CharField(
        label=_("Describe the facts"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=50_000,
        help_text=_("What happened, where, who was involved, how you know it. Facts, not opinions."),
        error_messages={"required": _("Describe the facts: this field is required.")},
    )
    facts_period = forms.CharField(
        label=_("When did it happen?"), required=False, max_length=200, help_text=_("A date, a period, or “ongoing”.")
    )
    persons_concerned = forms.CharField(
        label=_("Persons concerned"), required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    author_relation = forms.ChoiceField(
        label=_("Your relation to the company"), required=False, choices=[("", "—"), *AuthorRelation.choices]
    )
    anonymous = forms.BooleanField(
        label=_("I want to stay anonymous"),
        required=False,
        help_text=_(
            "Leave your name and contact details out: you can still follow your report and answer the referent "
            "with the receipt code and the passphrase given after sending it."
        ),
    )
    author_name = forms.CharField(label=_("Your name"), required=False, max_length=200)
    author_email = forms.EmailField(label=_("Your email address"), required=False)
    author_phone = forms.CharField(label=_("Your phone number"), required=False, max_length=40)
    author_contact = forms.CharField(
        label=_("Another way to reach you"), required=False, max_length=2_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    documents = MultipleFileField(label=_("Documents"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["documents"].help_text = files_help()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("anonymous") and (cleaned.get("author_name") or "").strip():
            self.add_error(
                "author_name",
                _("You asked to stay anonymous: leave your name out, or untick “I want to stay anonymous”."),
            )
        return cleaned

    def clean_facts(self) -> str:
        facts = (self.cleaned_data.get("facts") or "").strip()
        if not facts:
            raise ValidationError(self.fields["facts"].error_messages["required"], code="required")
        return facts


class FollowUpSignInForm(forms.Form):
    code = forms.CharField(
        label=_("Receipt code"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    passphrase = forms.CharField(
        label=_("Passphrase"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


class AuthorMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=50_000,
        error_messages={"required": _("Write your message: this field is required.")},
    )
    documents = MultipleFileField(label=_("Documents"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["documents"].help_text = files_help()

    def clean_body(self) -> str:
        body = (self.cleaned_data.get("body") or "").strip()
        if not body:
            raise ValidationError(self.fields["body"].error_messages["required"], code="required")
        return body
