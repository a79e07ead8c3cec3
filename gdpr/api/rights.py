"""API of the rights requests: `/api/gdpr/rights-requests/`, writes through gdpr.services.rights.

Status and deadline fields are read-only: each transition is a POST action on the request
(`/pause/`, `/resume/`, `/extend/`, `/answer/`, `/refuse/`, `/withdraw/`, `/close/`, `/start/`),
whose input serializer names the service's arguments, so a service's error lands on the right field.
ROUTES lists (prefix, viewset, basename) for gdpr/api/urls.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filters import FilterSet, StrictBooleanFilter, YearFilter
from core.api.permissions import TransitionPermissions
from core.api.serializers import DateTimeField, ModelSerializer
from core.api.user_fields import EligibleUserField, UserNameField
from core.paginator import CappedPageNumberPagination
from organization.api.fields import EntityCodeField, entity_code_filter

from ..choices import Channel, Outcome, PauseReason, RefusalGround, RequestStatus, Right
from ..deadlines import ExtensionBase, HolidayCalendar, PausePolicy, Rollover, policy_from_settings
from ..models import DeadlineEvent, ProcessingActivity, RightsRequest, RightsRequestPause
from ..services import rights as services

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from rest_framework.permissions import _SupportsHasPermission

    from ..querysets import RightsRequestQuerySet

# --- output ----------------------------------------------------------------------------------------------


class RightsRequestPauseSerializer(ModelSerializer):
    class Meta:
        model = RightsRequestPause
        fields = ["id", "reason", "asked_on", "answered_on", "note"]
        read_only_fields = fields


class DeadlineEventSerializer(ModelSerializer):
    actor: serializers.SlugRelatedField[AbstractBaseUser] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    actor_display = UserNameField(source="actor", help_text="Who did it, by name.")
    explanation = serializers.SerializerMethodField(help_text="How the deadline was computed, in words.")

    class Meta:
        model = DeadlineEvent
        fields = ["id", "kind", "at", "actor", "actor_display", "due_on", "extended_due_on", "explanation", "reason"]
        read_only_fields = fields

    def get_explanation(self, obj: DeadlineEvent) -> str:
        return services.readable_explanation(obj.explanation)


class DeadlinePolicySerializer(serializers.Serializer):
    """The calculation rules of the rights-request deadlines (settings.VIGIE_GDPR_DEADLINES, docs/rules.md)."""

    rollover = serializers.ChoiceField(choices=[v.value for v in Rollover], read_only=True)
    calendar = serializers.ChoiceField(choices=[v.value for v in HolidayCalendar], read_only=True)
    extension_base = serializers.ChoiceField(choices=[v.value for v in ExtensionBase], read_only=True)
    pause = serializers.ChoiceField(choices=[v.value for v in PausePolicy], read_only=True)
    internal_target_days = serializers.IntegerField(read_only=True)
    description = serializers.CharField(read_only=True, help_text="The same rules in words.")


#: Written only by the services (transitions), never through this serializer.
STATE_FIELDS = [
    "status",
    "due_on",
    "extended_due_on",
    "applicable_due_on",
    "deadline_explanation",
    "extension_notified_at",
    "extension_reason",
    "answered_at",
    "outcome",
    "answer_channel",
    "refusal_ground",
    "complaint_right_notified",
    "closed_at",
]


class RightsRequestSerializer(ModelSerializer):
    entity_code = EntityCodeField(source="entity")
    reference = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Generated (DSR-YYYY-NNNNN, Paris year of receipt) when not given. Not editable afterwards.",
    )
    other_rights = serializers.ListField(
        child=serializers.ChoiceField(choices=Right.choices),
        required=False,
        help_text="Further rights exercised in the same request.",
    )
    processing_activities = serializers.SlugRelatedField(
        slug_field="reference",
        many=True,
        required=False,
        queryset=ProcessingActivity.objects.all(),
        help_text="References of the processing activities concerned.",
    )
    handler = EligibleUserField(
        RightsRequest,
        allow_null=True,
        required=False,
        help_text="Username of the person handling the request: one who may change rights requests.",
    )
    handler_display = UserNameField(source="handler", help_text="The person handling the request, by name.")
    pauses = RightsRequestPauseSerializer(many=True, read_only=True)
    deadline_events = DeadlineEventSerializer(
        many=True, read_only=True, help_text="Why the deadline is what it is, oldest first."
    )
    allowed_actions = serializers.SerializerMethodField(help_text="The POST actions the request accepts now.")
    deadline_explanation = serializers.SerializerMethodField(
        help_text="How the deadlines were computed, in words (the calculation rules on the last line)."
    )
    deadline_policy = serializers.SerializerMethodField(
        help_text="The calculation rules in force (settings), as values and in words."
    )

    class Meta:
        model = RightsRequest
        fields = [
            "id",
            "reference",
            "received_at",
            "right",
            "other_rights",
            "channel",
            "requester_name",
            "requester_email",
            "requester_address",
            "requester_category",
            "entity_code",
            "processing_activities",
            "handler",
            "handler_display",
            "notes",
            *STATE_FIELDS,
            "deadline_policy",
            "allowed_actions",
            "pauses",
            "deadline_events",
        ]
        read_only_fields = STATE_FIELDS

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            # The reference is the natural key of imports and letters; the receipt date makes the deadline.
            for name in ("reference", "received_at"):
                fields[name].read_only = True
        return fields

    def get_deadline_explanation(self, obj: RightsRequest) -> str:
        return services.readable_explanation(obj.deadline_explanation)

    @extend_schema_field(DeadlinePolicySerializer)
    def get_deadline_policy(self, obj: RightsRequest) -> dict[str, str | int]:
        policy = policy_from_settings()
        return {**policy.as_dict(), "description": policy.explain()}

    def get_allowed_actions(self, obj: RightsRequest) -> list[str]:
        return services.rights_request_allowed_actions(obj)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A read-only field is silently ignored by DRF; a client that tries to set the status must learn
        # that it did not happen.
        wanted = self.initial_data.get("status") if hasattr(self.initial_data, "get") else None
        current = self.instance.status if isinstance(self.instance, RightsRequest) else RequestStatus.RECEIVED
        if wanted not in (None, current):
            raise serializers.ValidationError(
                {
                    "status": gettext(
                        "The status changes only through the actions: POST …/start/, pause/, resume/, extend/, answer/, "
                        "refuse/, withdraw/, close/."
                    )
                }
            )
        return attrs

    # The services validate and write; the serializer only parses.
    def create(self, validated_data: dict[str, Any]) -> RightsRequest:
        validated_data["reference"] = validated_data.get("reference") or None
        return services.rights_request_create(actor=self.context["request"].user, **validated_data)

    def update(self, instance: RightsRequest, validated_data: dict[str, Any]) -> RightsRequest:
        actor = self.context["request"].user
        if "handler" in validated_data:
            instance = services.rights_request_set_handler(
                request=instance, actor=actor, handler=validated_data.pop("handler")
            )
        return services.rights_request_update(request=instance, actor=actor, **validated_data)


# --- transition inputs: the services' keyword arguments --------------------------------------------------


class PauseInput(serializers.Serializer):
    asked_on = serializers.DateField(help_text="The day the information was asked for.")
    reason = serializers.ChoiceField(
        choices=PauseReason.choices,
        default=PauseReason.IDENTITY,
        help_text="Identity check (décret 2019-536) or clarification of the scope.",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Why it was needed (EDPB 01/2022 §73: never ask an authenticated person).",
    )


class ResumeInput(serializers.Serializer):
    answered_on = serializers.DateField(help_text="The day the information was received.")


class ExtendInput(serializers.Serializer):
    notified_at = DateTimeField(help_text="When the requester was told of the extension (before the first deadline).")
    reason = serializers.CharField(help_text="The reasons given to the requester (Art. 12(3)).")


class AnswerInput(serializers.Serializer):
    answered_at = DateTimeField()
    # Withdrawals and refusals have their own actions (withdraw/, refuse/).
    outcome = serializers.ChoiceField(
        choices=[c for c in Outcome.choices if c[0] not in (Outcome.WITHDRAWN, Outcome.REFUSED, Outcome.UNFOUNDED)]
    )
    channel = serializers.ChoiceField(choices=Channel.choices)


class RefuseInput(serializers.Serializer):
    ground = serializers.ChoiceField(choices=RefusalGround.choices, help_text="Art. 12(5).")
    answered_at = DateTimeField(help_text="When the refusal was sent.")
    complaint_right_notified = serializers.BooleanField(
        help_text="Must be true: the refusal told the requester of the right to complain to the CNIL (Art. 12(4))."
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True, default="")


class WithdrawInput(serializers.Serializer):
    withdrawn_at = DateTimeField(required=False, help_text="Now when not given.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CloseInput(serializers.Serializer):
    closed_at = DateTimeField(required=False, help_text="Now when not given.")


class EmptyInput(serializers.Serializer):
    pass


# --- filters ---------------------------------------------------------------------------------------------


class RightsRequestFilter(FilterSet):
    reference = django_filters.CharFilter()
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)
    right = django_filters.ChoiceFilter(choices=Right.choices)
    overdue = StrictBooleanFilter(
        method="filter_overdue", label="Open requests past their applicable deadline (true) or not (false)"
    )
    due_before = django_filters.DateFilter(
        method="filter_due_before", label="Open requests due on or before this date, overdue ones included (YYYY-MM-DD)"
    )
    received_year = YearFilter(method="filter_received_year", label="Received in this year (Paris time)")
    entity = entity_code_filter()

    class Meta:
        model = RightsRequest
        fields = ["reference", "status", "right", "channel", "requester_category", "entity"]

    def filter_overdue(self, queryset: RightsRequestQuerySet, name: str, value: bool | None) -> RightsRequestQuerySet:
        if value is None:
            return queryset
        if value:
            return queryset.overdue()
        return queryset.exclude(pk__in=RightsRequest.objects.overdue().values("pk"))

    def filter_due_before(self, queryset: RightsRequestQuerySet, name: str, value: Any) -> RightsRequestQuerySet:
        return queryset.due_before(value) if value else queryset

    def filter_received_year(self, queryset: RightsRequestQuerySet, name: str, value: Any) -> RightsRequestQuerySet:
        return queryset.received_in(int(value)) if value else queryset


# --- the viewset -----------------------------------------------------------------------------------------

_ERRORS = {
    400: OpenApiResponse(description="Refused: the body names each field at fault and why."),
    403: OpenApiResponse(description="No `change` permission on rights requests."),
}


def _transition_schema(summary: str, request: type[serializers.Serializer] | None, description: str) -> Any:
    return extend_schema(
        summary=summary, description=description, request=request, responses={200: RightsRequestSerializer, **_ERRORS}
    )


@extend_schema_view(
    list=extend_schema(
        summary="Rights requests",
        description="Filter by `status`, `overdue`, `due_before`, `reference`, `right`, `received_year`.",
    ),
    create=extend_schema(
        summary="Record a rights request",
        description="The deadline is computed at once; the reference is generated when not given.",
    ),
    partial_update=extend_schema(
        summary="Edit what describes a request",
        description="Status and deadlines change only through the POST actions.",
    ),
)
class RightsRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Rights requests (GDPR Art. 12): deadlines computed to the letter of the law, and explained.

    No DELETE: a request ends by an answer, a refusal or a withdrawal, and stays on record.
    """

    serializer_class = RightsRequestSerializer
    filterset_class = RightsRequestFilter
    search_fields = ["reference", "requester_name", "requester_email"]
    pagination_class = CappedPageNumberPagination  # counted up to a cap (core/paginator.py)

    def get_queryset(self) -> QuerySet[RightsRequest]:
        return (
            RightsRequest.objects.select_related("handler", "entity")
            .prefetch_related(
                "processing_activities",
                "pauses",
                Prefetch("deadline_events", queryset=DeadlineEvent.objects.select_related("actor")),
            )
            .order_by("-received_at", "-pk")
        )

    def get_permissions(self) -> Sequence[_SupportsHasPermission]:
        if self.action in _TRANSITIONS:
            return [TransitionPermissions()]
        return super().get_permissions()

    def _run(self, http_request: Request, input_class: type[serializers.Serializer], service: Any) -> Response:
        data = input_class(data=http_request.data)
        data.is_valid(raise_exception=True)
        service(request=self.get_object(), actor=http_request.user, **data.validated_data)
        # Read back with the prefetches: the events and pauses the service just wrote.
        return Response(self.get_serializer(self.get_queryset().get(pk=self.kwargs["pk"])).data)

    @_transition_schema("Start handling", EmptyInput, "received → in progress.")
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, EmptyInput, services.rights_request_start)

    @_transition_schema(
        "Pause: information asked for",
        PauseInput,
        "Suspends the deadline (décret 2019-536) from `asked_on`; never automatic. Refused once the "
        "deadline has passed.",
    )
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, PauseInput, services.rights_request_pause)

    @_transition_schema(
        "Resume: information received", ResumeInput, "The deadline moves by the days waited (policy) and runs again."
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, ResumeInput, services.rights_request_resume)

    @_transition_schema(
        "Extend by two months",
        ExtendInput,
        "Art. 12(3): only when the requester was told, with reasons, before the first deadline; "
        "once per request. The extended deadline is receipt + 3 months, rolled once.",
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, ExtendInput, services.rights_request_extend)

    @_transition_schema("Record the answer", AnswerInput, "Date, outcome and channel of the answer.")
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, AnswerInput, services.rights_request_answer)

    @_transition_schema(
        "Refuse (manifestly unfounded or excessive)",
        RefuseInput,
        "Art. 12(5) ground required; `complaint_right_notified` must be true (Art. 12(4)).",
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, RefuseInput, services.rights_request_refuse)

    @_transition_schema("Withdrawn by the requester", WithdrawInput, "Ends an open request.")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, WithdrawInput, services.rights_request_withdraw)

    @_transition_schema("Close", CloseInput, "Files away an answered, refused or withdrawn request.")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, CloseInput, services.rights_request_close)


_TRANSITIONS = {"start", "pause", "resume", "extend", "answer", "refuse", "withdraw", "close"}

ROUTES: list = [("rights-requests", RightsRequestViewSet, "rightsrequest")]
