"""The API's routers: DRF's, with every handler they route taking the format suffix.

DefaultRouter gives every route a format-suffix twin (`/api/training/modules/<code>/trend.json`): DRF then
passes a `format` keyword argument to the handler. DRF's own handlers (list, retrieve, ...) take `**kwargs`;
an `@action` method written as `def trend(self, request, code=None)` does not, and its `.json` twin answered
500 (TypeError). `Router.register` makes every handler it routes take the suffix, so the apps write their
actions as usual; the suffix still chooses the renderer (DRF reads it into `view.format_kwarg` first).
tests/core/test_api_format_suffixes.py requests every `.json` twin.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any

from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings
from rest_framework.viewsets import ViewSetMixin

__all__ = ["Router", "accept_format_suffix"]

TAKES_SUFFIX = "_vigie_takes_format_suffix"


def _takes(handler: Callable[..., Any], name: str) -> bool:
    parameters = inspect.signature(handler).parameters.values()
    return any(p.kind is p.VAR_KEYWORD or p.name == name for p in parameters)


def _taking_suffix(handler: Callable[..., Any], suffix: str) -> Callable[..., Any]:
    @wraps(handler)  # keeps the action's attributes: mapping, detail, url_path, schema annotations
    def taking_suffix(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop(suffix, None)  # already read by APIView.initial into self.format_kwarg
        return handler(self, request, *args, **kwargs)

    setattr(taking_suffix, TAKES_SUFFIX, True)
    return taking_suffix


def accept_format_suffix(viewset: type[ViewSetMixin], names: set[str]) -> None:
    """Make the handlers `names` of the viewset take (and drop) the format suffix's keyword argument."""
    suffix = api_settings.FORMAT_SUFFIX_KWARG
    for name in names:
        handler = getattr(viewset, name, None)
        if callable(handler) and not getattr(handler, TAKES_SUFFIX, False) and not _takes(handler, suffix):
            setattr(viewset, name, _taking_suffix(handler, suffix))


class Router(DefaultRouter):
    """DRF's DefaultRouter (root view, format suffixes) whose routed handlers all take the format suffix."""

    def register(self, prefix: str, viewset: Any, basename: str | None = None) -> None:
        if self.include_format_suffixes:
            names = {name for route in self.get_routes(viewset) for name in route.mapping.values()}
            accept_format_suffix(viewset, names)
        super().register(prefix, viewset, basename)
