"""DRF API of broadcasts: the same life cycle, permissions and services as the pages.

One permission per URL (``portal_permission``), checked before any object lookup. The
action endpoints (``/api/broadcasts/<pk>/<action>/``) are generated from the table
(``workflow.py``, ``portal.workflow.api_urls``); refusals are answered by the one DRF
exception handler (``portal.errors``): ``{"detail": [...], "code", "details"}``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from portal.context import AuditContext
from portal.line import dimensions as line_dimensions
from portal.workflow import Action, api_urls, staff_of

from . import privacy, progress, results, selectors, services
from .models import Broadcast, BroadcastImage
from .serializers import (
    ApproveSerializer,
    BroadcastSerializer,
    CommentSerializer,
    DraftSerializer,
    ErrorSerializer,
    EstimateSerializer,
    ScheduleSerializer,
    SegmentSerializer,
)
from .workflow import WORKFLOW


class BroadcastListApi(ListAPIView):
    """Broadcasts, newest first, each with its progress (a page's rows in a fixed number
    of queries, whatever its length)."""

    portal_permission = Perm.VIEW_BROADCASTS
    serializer_class = BroadcastSerializer

    def get_queryset(self) -> QuerySet[Broadcast]:
        return selectors.broadcast_list(with_bubbles=True)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = list(page) if page is not None else list(self.get_queryset())
        context = {**self.get_serializer_context(), "progress": progress.progress_reports(rows)}
        data = BroadcastSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)


class BroadcastDetailApi(APIView):
    """A broadcast with its status and live progress (poll this while 配信中)."""

    portal_permission = Perm.VIEW_BROADCASTS

    @extend_schema(responses=BroadcastSerializer)
    def get(self, request: Request, pk: int) -> Response:
        broadcast = get_object_or_404(selectors.broadcast_list(with_bubbles=True), pk=pk)
        # What LINE counted once sent (results.py): rounded figures, null under 50.
        return Response({**BroadcastSerializer(broadcast).data, "results": results.results_api(broadcast=broadcast)})


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
            dimensions=line_dimensions.filters_clean(v["dimensions"]) if v["dimensions"] else None,
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


def _draft_kwargs(v: dict[str, Any]) -> dict[str, Any]:
    bubbles: list[dict[str, Any]] = []
    for b in v["bubbles"]:
        if b["type"] == "image":
            image = BroadcastImage.objects.filter(pk=b.get("image_id") or 0).first()
            bubbles.append({"type": "image", "image": image})
        else:
            bubbles.append({"type": "text", "text": b.get("text", ""), "translations": b.get("translations") or {}})
    return {
        "title": v["title"],
        "kind": v["kind"],
        "audience": v["audience"],
        "age_bands": v["age_bands"],
        "area_ids": v["area_ids"],
        "interest_ids": v["interest_ids"],
        "dimension_filters": v["dimensions"],
        "exclude_broadcast_id": v["exclude_broadcast_id"],
        "scheduled_at": v["scheduled_at"],
        "bubbles": bubbles,
    }


def _save(request: Request, broadcast: Broadcast | None) -> Broadcast:
    data = DraftSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    ctx = AuditContext.from_request(request)
    return services.broadcast_save(actor=staff_of(ctx), broadcast=broadcast, ctx=ctx, **_draft_kwargs(data.validated_data))


class DraftCreateApi(APIView):
    portal_permission = WORKFLOW.action("edit").permission

    @extend_schema(request=DraftSerializer, responses={201: BroadcastSerializer, 400: ErrorSerializer})
    def post(self, request: Request) -> Response:
        return Response(BroadcastSerializer(_save(request, None)).data, status=status.HTTP_201_CREATED)


class DraftUpdateApi(APIView):
    """Edit; a broadcast past 下書き returns to 下書き (approval is needed again)."""

    portal_permission = WORKFLOW.action("edit").permission

    @extend_schema(request=DraftSerializer, responses={200: BroadcastSerializer, 400: ErrorSerializer})
    def put(self, request: Request, pk: int) -> Response:
        broadcast = get_object_or_404(Broadcast, pk=pk)
        return Response(BroadcastSerializer(_save(request, broadcast)).data)


# What each action's POST takes, for the schema (the table's forms validate it).
_REQUESTS: dict[str, serializers.Serializer] = {  # inline_serializer gives instances
    "approve": ApproveSerializer,
    "return": CommentSerializer,
    "schedule": ScheduleSerializer,
}


def _documented(view: type[APIView], action: Action) -> type[APIView]:
    return extend_schema(
        request=_REQUESTS.get(action.name),
        responses={200: BroadcastSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        description=action.doc,
    )(view)


def action_urls() -> list[URLPattern]:
    """POST /api/broadcasts/<pk>/<action>/ for every action of the table that has one."""
    return api_urls(WORKFLOW, prefix="api/broadcasts/", schema=_documented)
