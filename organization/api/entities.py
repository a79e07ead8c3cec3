"""API of the legal entities: `/api/organization/entities/`, a parent named by its `code`.
ROUTES lists (prefix, viewset, basename) for organization/api/urls.py.
"""

from rest_framework import serializers, viewsets

from core.api.serializers import ModelSerializer

from ..models import LegalEntity


class LegalEntitySerializer(ModelSerializer):
    # DRF's metaclass takes declared fields out of the class: this one does not replace Field.parent, which
    # the stubs see it override.
    parent = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", queryset=LegalEntity.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = LegalEntity
        fields = ["id", "code", "name", "parent"]


class LegalEntityViewSet(viewsets.ModelViewSet):
    queryset = LegalEntity.objects.select_related("parent").order_by("code")
    serializer_class = LegalEntitySerializer
    filterset_fields = ["code"]


ROUTES: list = [("entities", LegalEntityViewSet, "legalentity")]
