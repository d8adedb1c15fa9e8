"""DRF API of broadcasts: the same life cycle, permissions and services as the pages.

One permission per URL (``portal_permission``), checked before any object lookup."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm

from . import privacy, progress, selectors, services
from .models import MAX_BUBBLES, TEXT_MAX, Broadcast, BroadcastImage


class SegmentSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Broadcast.Audience.choices, default=Broadcast.Audience.ALL)
    age_bands = serializers.ListField(child=serializers.CharField(max_length=8), required=False, default=list)
    area_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    interest_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    exclude_broadcast_id = serializers.IntegerField(required=False, allow_null=True, default=None)


class BubbleSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["text", "image"])
    text = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")
    image_id = serializers.IntegerField(required=False, allow_null=True, default=None)


class DraftSerializer(SegmentSerializer):
    title = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Broadcast.Kind.choices, default=Broadcast.Kind.NORMAL)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    bubbles = BubbleSerializer(many=True, max_length=MAX_BUBBLES)


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
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    halt_reason_label = serializers.CharField(source="get_halt_reason_display", read_only=True)
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
        return obj.approver.get_short_name() if obj.approver_id else None

    def get_bubbles(self, obj: Broadcast) -> list[dict]:
        return [{"type": b.type, "text": b.text, "image_id": b.image_id} for b in obj.bubbles.all()]

    def get_version(self, obj: Broadcast) -> str:
        return services.content_version(obj)

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj: Broadcast) -> dict:
        return progress.progress_report(broadcast=obj)


ErrorSerializer = inline_serializer("BroadcastError", {"detail": serializers.ListField(child=serializers.CharField())})


def _error(exc: Exception) -> Response:
    if isinstance(exc, PermissionDenied):
        return Response({"detail": [str(exc)]}, status=status.HTTP_403_FORBIDDEN)
    assert isinstance(exc, ValidationError)
    return Response({"detail": [str(m) for m in exc.messages]}, status=status.HTTP_400_BAD_REQUEST)


class BroadcastListApi(ListAPIView):
    portal_permission = Perm.VIEW_BROADCASTS
    serializer_class = BroadcastSerializer

    def get_queryset(self):
        return selectors.broadcast_list().prefetch_related("bubbles")


class BroadcastDetailApi(APIView):
    """A broadcast with its status and live progress (poll this while 配信中)."""

    portal_permission = Perm.VIEW_BROADCASTS

    @extend_schema(responses=BroadcastSerializer)
    def get(self, request: Request, pk: int) -> Response:
        broadcast = get_object_or_404(Broadcast, pk=pk)
        return Response(BroadcastSerializer(broadcast).data)


class EstimateApi(APIView):
    """Reach estimate of a segment: post-processing of the differentially private release
    (broadcasts/PRIVACY.md), rounded; looks under 50: 「50人未満」, never a number. Asking
    again (or many variants) learns nothing more. Counted per staff member per day."""

    portal_permission = Perm.VIEW_AUDIENCE

    @extend_schema(request=SegmentSerializer, responses=EstimateSerializer)
    def post(self, request: Request) -> Response:
        data = SegmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        segment = selectors.Segment.build(
            everyone=v["audience"] == Broadcast.Audience.ALL,
            age_bands=v["age_bands"],
            area_ids=v["area_ids"],
            interest_ids=v["interest_ids"],
            exclude_broadcast_id=v["exclude_broadcast_id"],
        )
        e = privacy.estimate(segment, actor=request.user)
        return Response(
            {
                "reach": e.figure,
                "below_minimum": e.below_minimum,
                "near_minimum": e.near_minimum,
                "upper_bound": e.upper_bound,
                "text": e.text,
                "note": e.note,
            }
        )


def _draft_kwargs(v: dict) -> dict:
    bubbles = []
    for b in v["bubbles"]:
        if b["type"] == "image":
            image = BroadcastImage.objects.filter(pk=b.get("image_id") or 0).first()
            bubbles.append({"type": "image", "image": image})
        else:
            bubbles.append({"type": "text", "text": b.get("text", "")})
    return {
        "title": v["title"],
        "kind": v["kind"],
        "audience": v["audience"],
        "age_bands": v["age_bands"],
        "area_ids": v["area_ids"],
        "interest_ids": v["interest_ids"],
        "exclude_broadcast_id": v["exclude_broadcast_id"],
        "scheduled_at": v["scheduled_at"],
        "bubbles": bubbles,
    }


class DraftCreateApi(APIView):
    portal_permission = Perm.COMPOSE_BROADCAST

    @extend_schema(request=DraftSerializer, responses={201: BroadcastSerializer, 400: ErrorSerializer})
    def post(self, request: Request) -> Response:
        data = DraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            broadcast = services.broadcast_save(actor=request.user, request=request, **_draft_kwargs(data.validated_data))
        except ValidationError as exc:
            return _error(exc)
        return Response(BroadcastSerializer(broadcast).data, status=status.HTTP_201_CREATED)


class DraftUpdateApi(APIView):
    """Edit; a broadcast past 下書き returns to 下書き (approval is needed again)."""

    portal_permission = Perm.COMPOSE_BROADCAST

    @extend_schema(request=DraftSerializer, responses={200: BroadcastSerializer, 400: ErrorSerializer})
    def put(self, request: Request, pk: int) -> Response:
        broadcast = get_object_or_404(Broadcast, pk=pk)
        data = DraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            broadcast = services.broadcast_save(
                actor=request.user, broadcast=broadcast, request=request, **_draft_kwargs(data.validated_data)
            )
        except ValidationError as exc:
            return _error(exc)
        return Response(BroadcastSerializer(broadcast).data)


CommentSerializer = inline_serializer("BroadcastComment", {"comment": serializers.CharField(required=False, allow_blank=True)})
ApproveSerializer = inline_serializer(
    "BroadcastApprove",
    {
        "version": serializers.CharField(help_text="The `version` of the broadcast the approver reviewed."),
        "comment": serializers.CharField(required=False, allow_blank=True),
    },
)
ScheduleSerializer = inline_serializer("BroadcastSchedule", {"scheduled_at": serializers.DateTimeField()})


class _ActionApi(APIView):
    request_serializer = None

    def run(self, request: Request, broadcast: Broadcast) -> Broadcast | None:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        broadcast = get_object_or_404(Broadcast, pk=pk)
        try:
            result = self.run(request, broadcast)
        except (ValidationError, PermissionDenied) as exc:
            return _error(exc)
        broadcast = Broadcast.objects.get(pk=(result or broadcast).pk)
        return Response(BroadcastSerializer(broadcast).data)


def _action_api(name: str, permission: str, run, request_serializer=None, doc: str = "") -> type[APIView]:
    @extend_schema(
        request=request_serializer,
        responses={200: BroadcastSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        description=doc,
    )
    def post(self, request: Request, pk: int) -> Response:
        return _ActionApi.post(self, request, pk)

    return type(
        name,
        (_ActionApi,),
        {"portal_permission": permission, "run": lambda self, request, b: run(request, b), "post": post, "__doc__": doc},
    )


def _comment(request: Request) -> str:
    return str(request.data.get("comment", "") or "")


def _scheduled_at(request: Request):
    field = serializers.DateTimeField()
    try:
        return field.to_internal_value(request.data.get("scheduled_at"))
    except serializers.ValidationError:
        raise ValidationError("予約日時の形式が正しくありません。") from None


SubmitApi = _action_api(
    "SubmitApi",
    Perm.COMPOSE_BROADCAST,
    lambda r, b: services.broadcast_submit(broadcast=b, actor=r.user, request=r),
    doc="承認申請 (refused below the 50-recipient minimum).",
)
ApproveApi = _action_api(
    "ApproveApi",
    Perm.APPROVE_BROADCAST,
    lambda r, b: services.broadcast_approve(
        broadcast=b, approver=r.user, version=str(r.data.get("version", "") or ""), comment=_comment(r), request=r
    ),
    ApproveSerializer,
    doc="承認 of the reviewed `version` by an approver who neither created nor edited it (refused, 400, when the "
    "broadcast changed since). 承認後すぐに配信 (no future 予約日時) and every emergency broadcast start sending at "
    "once; a future 予約日時 makes it 予約済.",
)
ReturnApi = _action_api(
    "ReturnApi",
    Perm.APPROVE_BROADCAST,
    lambda r, b: services.broadcast_return(broadcast=b, approver=r.user, comment=_comment(r), request=r),
    CommentSerializer,
    doc="差し戻し with a comment.",
)
ScheduleApi = _action_api(
    "ScheduleApi",
    Perm.COMPOSE_BROADCAST,
    lambda r, b: services.broadcast_schedule(broadcast=b, actor=r.user, scheduled_at=_scheduled_at(r), request=r),
    ScheduleSerializer,
    doc="予約 (a new 予約日時) for an approved broadcast: the schedule is part of the approved version, so the "
    "broadcast returns to 申請中 (`pending`) and needs a new approval, by someone other than whoever changed it.",
)
CancelApi = _action_api(
    "CancelApi",
    Perm.COMPOSE_BROADCAST,
    lambda r, b: services.broadcast_cancel(broadcast=b, actor=r.user, request=r),
    doc="中止, until sending starts.",
)
SendApi = _action_api(
    "SendApi",
    Perm.COMPOSE_BROADCAST,
    lambda r, b: services.broadcast_send(broadcast=b, actor=r.user, request=r),
    doc="今すぐ配信 an approved broadcast (re-checked against live data, then on the snapshot).",
)
RetryApi = _action_api(
    "RetryApi",
    Perm.APPROVE_BROADCAST,
    lambda r, b: services.broadcast_retry_failed(broadcast=b, actor=r.user, request=r),
    doc="Send the failed batches again (same retry keys).",
)
