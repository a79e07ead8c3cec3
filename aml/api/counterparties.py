"""`/api/aml/counterparties/`: the counterparties, read only (written by `import_counterparties` and the
`/api/imports/counterparties/` upload). Sealed: 404 for anyone outside the AML/CFT role."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets

from core.api.filters import FilterSet, StrictBooleanFilter
from core.api.serializers import ModelSerializer

from ..choices import CounterpartyKind
from ..matching import normalise
from ..models import Counterparty
from .fields import EntityCodeField


class CounterpartySerializer(ModelSerializer):
    entity = EntityCodeField(read_only=True)

    class Meta:
        model = Counterparty
        fields = [
            "id",
            "reference",
            "kind",
            "name",
            "birth_date",
            "registration_number",
            "country",
            "entity",
            "relationship_ended_on",
            "changed_at",
            "screened_at",
        ]
        read_only_fields = fields


class CounterpartyFilter(FilterSet):
    reference = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=CounterpartyKind.choices)
    name = django_filters.CharFilter(
        method="filter_name", label="Part of the name (accents, case and punctuation ignored)"
    )
    active = StrictBooleanFilter(method="filter_active", label="The business relationship lasts")

    class Meta:
        model = Counterparty
        fields = ["reference", "kind", "name", "active"]

    def filter_name(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(name_normalised__contains=normalise(value))

    def filter_active(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        active = Counterparty.objects.active().values("pk")
        return queryset.filter(pk__in=active) if value else queryset.exclude(pk__in=active)


@extend_schema(tags=["aml"])
class CounterpartyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Counterparties of the AML/CFT screening (customers, borrowers, beneficiaries, suppliers)."""

    queryset = Counterparty.objects.select_related("entity").order_by("reference")
    serializer_class = CounterpartySerializer
    filterset_class = CounterpartyFilter


ROUTES: list[tuple[str, Any, str]] = [("counterparties", CounterpartyViewSet, "aml-counterparty")]
