"""The API's shapes of broadcasts: what it answers (a broadcast with its progress) and what
it takes (a draft, a segment, an action's parameters)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from . import progress, selectors
from .models import MAX_BUBBLES, TEXT_MAX, Broadcast


class SegmentSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Broadcast.Audience.choices, default=Broadcast.Audience.ALL)
    age_bands = serializers.ListField(child=serializers.CharField(max_length=8), required=False, default=list)
    area_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    interest_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    dimensions = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        required=False,
        default=dict,
        help_text="Admin-defined dimensions: {dimension id: [option ids]} (OR inside one, AND across).",
    )
    exclude_broadcast_id = serializers.IntegerField(required=False, allow_null=True, default=None)


class BubbleSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["text", "image"])
    text = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")
    image_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    translations = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text="A text bubble's translations by language code (en, zh, ko, vi, ja-easy): residents of that "
        "language receive it, the others the Japanese text. Ignored on image bubbles and in an emergency broadcast "
        "(Japanese only).",
    )


class DraftSerializer(SegmentSerializer):
    title = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Broadcast.Kind.choices, default=Broadcast.Kind.NORMAL)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    bubbles = BubbleSerializer(many=True, max_length=MAX_BUBBLES)  # type: ignore[call-arg]  # many=True: a ListSerializer


class EstimateSerializer(serializers.Serializer):
    reach = serializers.IntegerField(
        allow_null=True, help_text="Noisy (differentially private release) and rounded; null when it looks under 50."
    )
    below_minimum = serializers.BooleanField(help_text="Looks under 50. Never blocks submitting: the exact check decides.")
    near_minimum = serializers.BooleanField(help_text="The noise could put the segment on either side of 50.")
    upper_bound = serializers.BooleanField(help_text="Earlier recipients are excluded: at most this many.")
    text = serializers.CharField()
    note = serializers.CharField()


class ProgressSerializer(serializers.Serializer):
    """Progress in residents' terms: every figure rounded by the privacy module."""

    status = serializers.CharField()
    status_code = serializers.CharField()
    phase = serializers.ChoiceField(choices=["waiting", "preparing", "sending", "done", "partial", "halted", "cancelled"])
    headline = serializers.CharField()
    reached = serializers.CharField()
    total = serializers.CharField()
    percent = serializers.IntegerField(allow_null=True)
    started_at = serializers.CharField()
    finished_at = serializers.CharField()
    advice = serializers.CharField()
    halt_reason = serializers.CharField()
    live = serializers.BooleanField()
    finished = serializers.BooleanField()


class BroadcastSerializer(serializers.ModelSerializer):
    """A broadcast as the API shows it. A list passes ``progress`` in the context (every
    row's report, computed set-based by ``progress.progress_reports``)."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    halt_reason_label = serializers.CharField(source="get_halt_reason_display", read_only=True)
    dimensions = serializers.JSONField(source="dimension_filters", read_only=True)
    author = serializers.CharField(source="author.get_short_name", read_only=True)
    approver = serializers.SerializerMethodField()
    bubbles = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField(help_text="Content version: pass it to approve (refused if it changed).")

    class Meta:
        model = Broadcast
        fields = [
            "id",
            "title",
            "kind",
            "audience",
            "age_bands",
            "area_ids",
            "interest_ids",
            "dimensions",
            "exclude_broadcast",
            "status",
            "status_label",
            "halt_reason",
            "halt_reason_label",
            "scheduled_at",
            "author",
            "approver",
            "created_at",
            "submitted_at",
            "approved_at",
            "started_at",
            "finished_at",
            "bubbles",
            "progress",
            "version",
        ]

    def get_approver(self, obj: Broadcast) -> str | None:
        return obj.approver.get_short_name() if obj.approver is not None else None

    def get_bubbles(self, obj: Broadcast) -> list[dict[str, Any]]:
        return [
            {"type": b.type, "text": b.text, "image_id": b.image_id, "translations": dict(b.translations or {})}
            for b in selectors.bubbles_of(obj)
        ]

    def get_version(self, obj: Broadcast) -> str:
        return selectors.content_version(obj)

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj: Broadcast) -> dict[str, Any]:
        reports = self.context.get("progress")
        if reports is not None and obj.pk in reports:
            return reports[obj.pk]
        return progress.progress_report(broadcast=obj)


ErrorSerializer = inline_serializer(
    "BroadcastError",
    {
        "detail": serializers.ListField(child=serializers.CharField()),
        "code": serializers.CharField(),
        "details": serializers.DictField(),
    },
)
CommentSerializer = inline_serializer("BroadcastComment", {"comment": serializers.CharField(required=False, allow_blank=True)})
ApproveSerializer = inline_serializer(
    "BroadcastApprove",
    {
        "version": serializers.CharField(help_text="The `version` of the broadcast the approver reviewed."),
        "comment": serializers.CharField(required=False, allow_blank=True),
    },
)
ScheduleSerializer = inline_serializer("BroadcastSchedule", {"scheduled_at": serializers.DateTimeField()})
