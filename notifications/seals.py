"""Who joins or leaves a sealed role is told to that role (review 21b #2).

A sealed role's group (core/roles.py `sealed_roles`: "Référent alertes", "LCB-FT") opens records nobody else
may read, superusers included for some. A superuser can still add anyone, themselves included, to such a group
(the user or group admin page, the company sign-on's role sync, a shell): this cannot be forbidden without
taking the role's administration away from everyone, so it is made visible instead. Every change of the
group's members, whatever the path (Django's `m2m_changed` on `User.groups`, both directions, `clear()`
included, and the deletion of a member's account), sends one email, once the transaction commits, to every
active member of the role before and after the change and to the ADMINS: who joined or left, who did it when
it is known (the request's user), and when, in Paris time. Nothing else: no record, no entity, no count.
The server's log gets the same line (logger `notifications.seals`).

There is no page those members read that could keep the trace (Django's LogEntry is shown to its author
only, and the user model keeps no history): the email is the record.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models.signals import m2m_changed, pre_delete
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.dates import format_datetime
from core.roles import sealed_roles

logger = logging.getLogger(__name__)

JOINED, LEFT = "joined", "left"
#: Set on the instance by `pre_clear`: what `post_clear` no longer can read.
_CLEARED = "_vigie_sealed_cleared"


def _sealed_groups(pks: Iterable[int] | None = None) -> dict[int, str]:
    """The sealed roles' groups, by pk (among `pks` when given)."""
    groups = Group.objects.filter(name__in=sealed_roles())
    if pks is not None:
        groups = groups.filter(pk__in=list(pks))
    return dict(groups.values_list("pk", "name"))


def _actor() -> Any:
    """The person whose request made the change, when there is one (django-simple-history's request)."""
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _name(user: Any) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    username = user.get_username()
    return f"{full} ({username})" if full and full != username else username


def membership_changed(role: str, user_ids: Iterable[int], change: str) -> None:
    """Tell the role's members and the ADMINS, after the commit, that `user_ids` joined or left `role`."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    actor = _actor()
    moment = timezone.now()
    user_model = get_user_model()
    names = [_name(user) for user in user_model._default_manager.filter(pk__in=ids).order_by("pk")]
    # Who was a member before or is one after: the changed users (before for a departure, after for an arrival)
    # and the others, read after the commit.
    transaction.on_commit(lambda: _send(role, ids, names, change, actor, moment))


def _send(role: str, ids: list[int], names: list[str], change: str, actor: Any, moment: Any) -> None:
    user_model = get_user_model()
    members = user_model._default_manager.filter(is_active=True).filter(groups__name=role) | (
        user_model._default_manager.filter(is_active=True, pk__in=ids)
    )
    addresses = sorted({address for address in members.values_list("email", flat=True) if address})
    admins = [admin if isinstance(admin, str) else admin[1] for admin in getattr(settings, "ADMINS", [])]
    recipients = addresses + [address for address in admins if address and address not in addresses]
    with translation.override(settings.LANGUAGE_CODE):
        who = ", ".join(names)
        if change == JOINED:
            subject = _("[Vigie] Role %(role)s: a member joined") % {"role": role}
            line = _("%(who)s joined the role %(role)s.") % {"who": who, "role": role}
        else:
            subject = _("[Vigie] Role %(role)s: a member left") % {"role": role}
            line = _("%(who)s left the role %(role)s.") % {"who": who, "role": role}
        by = _name(actor) if actor is not None else _("not known (a command, a task or the company sign-on)")
        body = "\n".join(
            [
                line,
                _("Done by: %(by)s") % {"by": by},
                _("On: %(moment)s (Paris time)") % {"moment": format_datetime(moment)},
                "",
                _(
                    "Every member of this role and the administrators receive this email whenever its members "
                    "change. If you did not expect this change, tell your administrators."
                ),
            ]
        )
    logger.warning("Sealed role %r: %s (by %s).", role, line, by)
    if not recipients:
        return
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=recipients, headers={}
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        # The change is made; the log above keeps it. A mail server down must not undo a membership.
        logger.exception("Could not send the notice of a change of the role %r.", role)


def _on_groups_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    if action == "pre_clear":
        # `post_clear` has no pk_set: read what is about to go.
        if reverse:
            groups = _sealed_groups([instance.pk])
            users = list(instance.user_set.values_list("pk", flat=True)) if groups else []
            setattr(instance, _CLEARED, [(name, users) for name in groups.values()])
        else:
            names = _sealed_groups(instance.groups.values_list("pk", flat=True)).values()
            setattr(instance, _CLEARED, [(name, [instance.pk]) for name in names])
        return
    if action == "post_clear":
        for role, users in getattr(instance, _CLEARED, []):
            membership_changed(role, users, LEFT)
        setattr(instance, _CLEARED, [])
        return
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    change = JOINED if action == "post_add" else LEFT
    if reverse:  # group.user_set.add(users)
        for role in _sealed_groups([instance.pk]).values():
            membership_changed(role, pk_set, change)
    else:  # user.groups.add(groups)
        for role in _sealed_groups(pk_set).values():
            membership_changed(role, [instance.pk], change)


def _on_user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A member's account deleted: they leave the role (the link rows go without `m2m_changed`)."""
    for role in _sealed_groups(instance.groups.values_list("pk", flat=True)).values():
        membership_changed(role, [instance.pk], LEFT)


def connect() -> None:
    user_model = get_user_model()
    m2m_changed.connect(_on_groups_changed, sender=user_model.groups.through, dispatch_uid="vigie_sealed_roles")
    pre_delete.connect(_on_user_deleted, sender=user_model, dispatch_uid="vigie_sealed_roles_delete")
