"""DRF API of the Q&A base: the entries, one entry, the base, and the tables' actions
(``api_urls``: POST /questions/api/faq/entries/<pk>/withdraw/ and restore/, POST
/questions/api/faq/base/<pk>/publish/), with the pages' permissions and services."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.workflow import action_schema, api_urls

from . import selectors
from .models import FaqBase, FaqEntry
from .serializers import FaqBaseSerializer, FaqEntrySerializer
from .views import READ  # as the pages
from .workflow import BASE_WORKFLOW, ENTRY_WORKFLOW


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, required=False, description="検索語"),
        OpenApiParameter("category", str, required=False),
        OpenApiParameter("status", str, required=False),
    ]
)
class FaqEntryListApi(ListAPIView):
    """The draft's entries by ID, filtered as the entry list filters them."""

    portal_permission = READ
    serializer_class = FaqEntrySerializer

    def get_queryset(self) -> QuerySet[FaqEntry]:
        params = self.request.query_params
        status = params.get("status", "")
        return selectors.entry_list(
            query=params.get("q", "").strip(),
            category=params.get("category", ""),
            status=status if status in FaqEntry.Status.values else "",
        )


class FaqEntryDetailApi(APIView):
    portal_permission = READ

    @extend_schema(responses=FaqEntrySerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(FaqEntrySerializer(get_object_or_404(FaqEntry, pk=pk)).data)


class FaqBaseDetailApi(APIView):
    """The base's state (公開済み, 未公開の変更あり …) and the version the chat answers from."""

    portal_permission = READ

    @extend_schema(responses=FaqBaseSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(FaqBaseSerializer(get_object_or_404(FaqBase, pk=pk)).data)


def action_urls() -> list[URLPattern]:
    """POST api/faq/entries/<pk>/<action>/ and api/faq/base/<pk>/publish/ from the two tables
    (no action takes a body)."""
    return [
        *api_urls(ENTRY_WORKFLOW, prefix="api/faq/entries/", schema=action_schema(FaqEntrySerializer)),
        *api_urls(BASE_WORKFLOW, prefix="api/faq/base/", schema=action_schema(FaqBaseSerializer)),
    ]
