"""Reads of the alert ledger shared by the admin's list, its preview and any other listing of alerts."""
from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.roles import can_view


def visible_content_types(user: Any, content_types: models.QuerySet[ContentType] | None = None) -> list[int]:
    """The ids of the content types (of `content_types`, default all) whose records `user` may view."""
    content_types = ContentType.objects.all() if content_types is None else content_types
    return [content_type.pk for content_type in content_types
            if can_view(user, f"{content_type.app_label}.{content_type.model}")]


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> AlertQuerySet:
        """The alerts about records `user` may view: an alert's title and label name its record (a case's
        action, an employee, a rights request), so an alert is shown only to who may view that record."""
        kinds = ContentType.objects.filter(pk__in=self.model._default_manager.values("content_type").distinct())
        return self.filter(content_type__in=visible_content_types(user, kinds))
