"""DRF API of recurring series: the list, one series, and the table's actions (``api_urls``:
POST /broadcasts/recurring/api/series/<pk>/<action>/ with the pages' permissions and
services). No answer carries a number of residents (serializers.py)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from portal.workflow import action_schema, api_urls

from . import selectors
from .models import Series
from .serializers import SeriesApproveSerializer, SeriesCommentSerializer, SeriesSerializer, SeriesSkipSerializer
from .workflow import WORKFLOW

VIEW = Perm.VIEW_BROADCASTS  # as the list and detail pages


class SeriesListApi(ListAPIView):
    """Recurring series, newest first (``?status=`` one state)."""

    portal_permission = VIEW
    serializer_class = SeriesSerializer

    def get_queryset(self) -> QuerySet[Series]:
        status = self.request.query_params.get("status") or None
        return selectors.series_list(status=status if status in Series.Status.values else None)


class SeriesDetailApi(APIView):
    """One series: its rule, areas and messages, and the ``version`` an approval names."""

    portal_permission = VIEW

    @extend_schema(responses=SeriesSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SeriesSerializer(get_object_or_404(selectors.series_list(), pk=pk)).data)


# What each action's POST takes, for the schema (the table's forms validate it); 削除 answers 204.
_SCHEMA = action_schema(
    SeriesSerializer,
    requests={"approve": SeriesApproveSerializer, "return": SeriesCommentSerializer, "skip": SeriesSkipSerializer},
    refused=(400, 403),
    also={204: None},
)


def action_urls() -> list[URLPattern]:
    """POST api/series/<pk>/<action>/ for every action of the table that has one."""
    return api_urls(WORKFLOW, prefix="api/series/", schema=_SCHEMA)
