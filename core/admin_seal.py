"""The admin of a sealed app (core/roles.py `seal_of`, e.g. aml): for a user the seal keeps out, its models
do not exist.

`SealedAdminMixin` is added by core/admin_site.py `register` to every ModelAdmin of a sealed app, those of
apps added later included. For a user outside the seal (superusers too when the app's setting says so):
- no module, view, add, change or delete permission: no menu entry, no app index (Django answers its 404
  for an app with nothing to show), no autocomplete target;
- every URL of the model admin (list, add, change, delete, history, simple-history's past versions, custom
  views) answers what the admin's catch-all answers for a path that does not exist: the login redirect for
  a visitor, the site's 404 for a logged-in user. The answer comes before the object is fetched, so an
  existing and a missing id answer the same (Django's and simple-history's history views fetch first);
- nothing is written to Django's LogEntry (it copies `str(obj)`, and the admin log is read by others):
  simple-history keeps who changed what, when and why.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver

from .roles import sealed_out


def _missing(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


class SealedAdminMixin:
    """See the module's docstring."""

    model: Any
    admin_site: Any

    def sealed_for(self, request: HttpRequest) -> bool:
        return sealed_out(getattr(request, "user", None), self.model)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return not self.sealed_for(request) and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.sealed_for(request) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any, **kwargs: Any) -> bool:
        return not self.sealed_for(request) and super().has_add_permission(request, *args, **kwargs)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.sealed_for(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.sealed_for(request) and super().has_delete_permission(request, obj)  # type: ignore[misc]

    # Django's admin log: nothing (simple-history keeps the record's history).
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:
        return None

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> None:
        return None

    def log_deletion(self, request: HttpRequest, obj: Any, object_repr: str) -> None:
        return None

    def log_deletions(self, request: HttpRequest, queryset: Any) -> None:
        return None

    def get_urls(self) -> list:
        patterns = super().get_urls()  # type: ignore[misc]
        self._seal_patterns(patterns)
        return patterns

    def _seal_patterns(self, patterns: list) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = self._sealed_view(pattern.callback)
            elif isinstance(pattern, URLResolver):
                self._seal_patterns(pattern.url_patterns)

    def _sealed_view(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        # The catch-all's own wrapping (login redirect, never_cache, csrf_protect), then its 404.
        missing = self.admin_site.admin_view(_missing)

        def sealed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if self.sealed_for(request):
                return missing(request)
            return view(request, *args, **kwargs)

        return update_wrapper(sealed, view)
