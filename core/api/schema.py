"""The OpenAPI schema documents every answer the API can give, errors included.

drf-spectacular documents the success of each operation; the errors DRF and Vigie answer are the same for
every view, so they are added here once (unless a view documents its own): 400 where a body or a query
parameter can be refused, 403 everywhere (not authenticated, or no permission: the session scheme comes
first, so DRF never answers 401), 404 for an object route or a page past the end, 413 where a body is
parsed, 415 where a body of another media type is refused, 429 with `Retry-After` everywhere (throttling).

It also says what the code does where drf-spectacular guesses short:
- request bodies are documented as JSON only (form encodings stay accepted, for DRF's browsable API, but an
  empty form field means null there, which JSON Schema cannot say); views that take files name their
  multipart body themselves (the imports);
- a read-only field takes `null` / `""` from its model field (DRF drops `allow_null`/`allow_blank` from
  read-only fields, so a blank outcome or a missing approver would break the schema);
- query filters: their type and bounds from the django-filter form field; an optional query parameter has
  `allowEmptyValue` (an empty one is not applied);
- a nullable relation accepts "" in a request body (DRF reads it as null);
- a file download (`file_download`) is a binary body of its media type, with a description and its
  `Content-Disposition`.
Schemathesis (tests/core/test_api_schemathesis.py) holds the API to it.

The schema is the same document whatever the request's language, but for its words: descriptions, titles,
summaries and the choice lists of enums are translated; every name a generated client turns into an
identifier or a file name (paths, operationIds, parameters, properties, components, enum values) is
English and ASCII, and so is the document's structure (tests/core/test_openapi_schema.py). Two things
drf-spectacular does would make them depend on the language:
- a field's label is its `title` only when it is not the field's name in other words ("Requester
  category" for `requester_category`): translated, the label is no longer such a variation, the title
  appears, and a `$ref` beside it is wrapped in `allOf`. Here a labelled field always has its title;
- a query parameter's schema takes its `title` from the model field's label, and openapi-python-client
  names an inline enum after its title (`…_cat_é_gorie_de_demandeur.py`). A parameter has no title (its
  label is in its description).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from django import forms
from django.apps import apps as django_apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_manager, get_view_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from core.roles import sealed_out

from .filters import MAX_INTEGER, MIN_INTEGER

#: Errors that are not about a field: `{"detail": "..."}` (DRF's shape).
ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, in the request's language."}},
    "required": ["detail"],
}
#: Refused input: `{"field": ["message", ...], "non_field_errors": [...]}`, nested for nested objects; a body
#: that cannot be parsed gets `{"detail": "..."}`.
VALIDATION_ERROR = {
    "type": "object",
    "description": "Each field at fault with its messages (`non_field_errors` for the whole), or `detail`.",
    "additionalProperties": True,
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request is accepted.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}


CONTENT_DISPOSITION = {
    "Content-Disposition": {
        "description": "`attachment`, with the file's name.",
        "required": True,
        "schema": {"type": "string"},
    }
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def file_download(media_type: str, description: str) -> dict[Any, OpenApiResponse]:
    """The `responses` of an `extend_schema` for an operation that answers a file: a binary body of
    `media_type` (its parameters, such as a charset, left out), described, sent as an attachment."""
    return {(200, media_type.split(";")[0].strip()): OpenApiResponse(OpenApiTypes.BINARY, description=description)}


#: The JSON Schema of a filter's value, from the form field that reads it (drf-spectacular guesses from the
#: model column or a `method=`'s type hint). Order matters: DecimalField and FloatField are IntegerField
#: subclasses in Django.
FORM_FIELD_TYPES: list[tuple[type[forms.Field], dict[str, Any]]] = [
    (forms.DecimalField, {"type": "number"}),
    (forms.FloatField, {"type": "number"}),
    (forms.IntegerField, {"type": "integer"}),
    (forms.DateTimeField, {"type": "string", "format": "date-time"}),
    (forms.DateField, {"type": "string", "format": "date"}),
    (forms.NullBooleanField, {"type": "boolean"}),
    (forms.BooleanField, {"type": "boolean"}),
    (forms.CharField, {"type": "string"}),
]


def _model_field(serializer: serializers.Serializer, field: serializers.Field) -> models.Field | None:
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        field = model._meta.get_field(source)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None  # not a reverse relation


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema plus the errors every Vigie view can answer."""

    def map_parsers(self) -> list[Any]:
        media_types = super().map_parsers()
        return ["application/json"] if "application/json" in media_types else media_types

    def _map_basic_serializer(self, serializer: serializers.Serializer, direction: str) -> dict[str, Any]:
        for field in serializer.fields.values():
            if not field.read_only:
                continue
            model_field = _model_field(serializer, field)
            if model_field is None:
                continue
            if model_field.null:
                field.allow_null = True
            if model_field.blank and isinstance(field, (serializers.ChoiceField, serializers.CharField)):
                field.allow_blank = True
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request":
            for name, field in serializer.fields.items():
                prop = schema.get("properties", {}).get(name)
                if isinstance(field, serializers.RelatedField) and field.allow_null and isinstance(prop, dict):
                    # DRF reads "" as null for a relation (`"entity": ""` clears it): say so.
                    prop.pop("minLength", None)
        return schema

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            schema = parameter.get("schema", {})
            # A generated client names a parameter's enum after its title (see the module's docstring).
            schema.pop("title", None)
            if isinstance(schema.get("items"), dict):
                schema["items"].pop("title", None)
            if parameter.get("in") == "path" and schema.get("type") == "integer":
                # An id is a 64-bit integer column; past it, SQLite's driver overflows (a 400).
                schema.setdefault("minimum", MIN_INTEGER)
                schema.setdefault("maximum", MAX_INTEGER)
            if (
                parameter.get("in") == "query"
                and not parameter.get("required")
                and parameter.get("schema", {}).get("type") != "array"
            ):
                # An empty optional parameter is not applied (django-filter, DRF's page and format, the
                # query serializers): `?status=` is "any status", `?page=` the first page.
                parameter["allowEmptyValue"] = True
        return operation

    def _get_serializer_field_meta(self, field: serializers.Field, direction: str) -> dict[str, Any]:
        meta = super()._get_serializer_field_meta(field, direction)
        if field.label:
            # Whatever the language (see the module's docstring).
            meta["title"] = str(field.label)
        return meta

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_filter_parameters()
        filters = self._filterset_filters()
        for parameter in parameters:
            filter_ = filters.get(parameter["name"])
            if filter_ is None:
                continue
            schema = parameter.setdefault("schema", {})
            form_field = filter_.field_class
            if not issubclass(form_field, (forms.ChoiceField, forms.MultipleChoiceField)):
                # What the form field reads, not what drf-spectacular guessed from the model column or a
                # method's type hint (a `?received_year=` on a date column is a whole number).
                for field_class, field_schema in FORM_FIELD_TYPES:
                    if issubclass(form_field, field_class):
                        if field_class is not forms.CharField:
                            schema.pop("format", None)
                            schema.update(field_schema)
                        break
            for bound, keyword in (("min_value", "minimum"), ("max_value", "maximum")):
                if filter_.extra.get(bound) is not None:
                    schema[keyword] = filter_.extra[bound]
        return parameters

    def _filterset_filters(self) -> dict[str, Any]:
        for backend in self.get_filter_backends():
            if not issubclass(backend, DjangoFilterBackend):
                continue
            model = get_view_model(self.view)
            if model is None:
                return {}
            filterset_class = backend().get_filterset_class(self.view, get_manager(model).none())
            return dict(filterset_class.base_filters) if filterset_class else {}
        return {}

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for response in responses.values():
            if any(body.get("schema", {}).get("format") == "binary" for body in response.get("content", {}).values()):
                # A file download (`file_download`): every one is sent as an attachment with its name.
                response.setdefault("headers", {}).update(CONTENT_DISPOSITION)
        for code, response in self._standard_errors().items():
            documented = responses.get(code)
            if documented is None:
                responses[code] = response
            elif "content" not in documented:
                # A view that described the error in words only: keep its words, add the body's shape.
                documented["content"] = response["content"]
            if code == "429":
                responses[code].setdefault("headers", {}).update(RETRY_AFTER)
        return responses

    def _has_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH")

    def _has_query(self) -> bool:
        return bool(
            self._get_filter_parameters()
            or self._get_pagination_parameters()
            or any(getattr(p, "location", None) == "query" for p in self.get_override_parameters())
        )

    def _standard_errors(self) -> dict[str, dict[str, Any]]:
        errors: dict[str, dict[str, Any]] = {}
        if self._has_body() or self._has_query():
            errors["400"] = _json(VALIDATION_ERROR, "Refused: the body names each field (or parameter) at fault.")
        elif self.method == "DELETE":
            errors["400"] = _json(VALIDATION_ERROR, "Refused: other records still refer to this one.")
        errors["403"] = _json(ERROR, "Not authenticated, or no permission for this operation.")
        if "{" in self.path or self._get_pagination_parameters() or self._get_format_parameters():
            errors["404"] = _json(ERROR, "No such object (or no such page, or no such `format`).")
        if self._has_body():
            errors["413"] = _json(ERROR, "The body is larger than the server accepts (the limit is named).")
            errors["415"] = _json(ERROR, "The body's media type is not one this operation reads.")
        errors["429"] = _json(ERROR, "Too many requests: wait `Retry-After` seconds.")
        return errors


def postprocess_parameter_enums(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """A query parameter whose choices are those of an enum component refers to it (`?status=` of the
    rights requests is a `RightsRequestStatusEnum`, as the field it filters): a generated client has one
    class per choice set, not one more per filter. drf-spectacular's enum hook, which names the
    components, leaves operation parameters inline; this runs after it. A choice set no component has, or
    several have, stays inline (a client names it after the operation and the parameter)."""
    components = result.get("components", {}).get("schemas", {})
    by_choices: dict[tuple[Any, frozenset[Any]], list[str]] = {}
    for name, component in components.items():
        if isinstance(component.get("enum"), list):
            by_choices.setdefault((component.get("type"), frozenset(component["enum"])), []).append(name)
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                holder, key = parameter, "schema"
                if parameter.get("schema", {}).get("type") == "array":
                    holder, key = parameter["schema"], "items"
                schema = holder.get(key, {})
                if not isinstance(schema.get("enum"), list):
                    continue
                names = by_choices.get((schema.get("type"), frozenset(schema["enum"])), [])
                if len(names) == 1:
                    holder[key] = {"$ref": f"#/components/schemas/{names[0]}"}
    return result


_ARGUMENTS = re.compile(r"\{[^}]*\}")


def _sealed_endpoint(callback: Any, user: Any) -> bool:
    """Whether the view of `callback` belongs to a sealed app (its module's app, or its queryset's model)
    that keeps `user` out (core/roles.py `sealed_out`)."""
    view_class = getattr(callback, "cls", None)
    if view_class is None:
        return False
    config = django_apps.get_containing_app_config(view_class.__module__)
    if config is not None and sealed_out(user, config.label):
        return True
    queryset = getattr(view_class, "queryset", None)
    return queryset is not None and sealed_out(user, queryset.model)


def _refs(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _reachable(result: dict[str, Any]) -> set[str]:
    """The names of the component schemas that the paths use, directly or through other components."""
    schemas = result.get("components", {}).get("schemas", {})
    todo = _refs(result.get("paths", {}), set())
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo |= _refs(schemas.get(name, {}), set()) - seen
    return seen


def postprocess_sealed(result: dict[str, Any], generator: Any, request: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Leave out of the schema the paths of a sealed app (aml) for a reader outside its seal, then the
    components only they used and the tags they named: for that reader the app's API does not exist (a
    schema built without a request, by the command line, leaves them out too). Last of the hooks."""
    user = getattr(request, "user", None)
    sealed_paths = {
        _ARGUMENTS.sub("{}", path)  # the schema names a path's arguments its own way ("{pk}" → "{id}")
        for path, _regex, _method, callback in generator.endpoints or ()
        if _sealed_endpoint(callback, user)
    }
    if not sealed_paths:
        return result
    before = _reachable(result)
    kept_tags = set()
    for path in list(result.get("paths", {})):
        if _ARGUMENTS.sub("{}", path) in sealed_paths:
            del result["paths"][path]
        else:
            for operation in result["paths"][path].values():
                if isinstance(operation, dict):
                    kept_tags.update(operation.get("tags", ()))
    schemas = result.get("components", {}).get("schemas", {})
    for name in before - _reachable(result):
        schemas.pop(name, None)
    if "tags" in result:
        result["tags"] = [tag for tag in result["tags"] if tag.get("name") in kept_tags]
    return result
