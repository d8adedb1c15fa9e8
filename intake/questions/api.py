"""DRF API of the Q&A base: the entries, one entry, the base, and the tables' actions
(``api_urls``: POST /questions/api/faq/entries/<pk>/withdraw/ and restore/, POST
/questions/api/faq/base/<pk>/publish/), with the pages' permissions and services."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from portal import access
from portal.errors import ErrorSerializer
from portal.workflow import Action, Workflow, api_urls

from . import selectors
from .models import FaqBase, FaqEntry
from .serializers import FaqBaseSerializer, FaqEntrySerializer
from .workflow import BASE_WORKFLOW, ENTRY_WORKFLOW

READ: access.Permission = (Perm.VIEW_QUESTIONS, Perm.MANAGE_FAQ, Perm.MANAGE_GOMI)  # as the pages


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


def _documented(answer: type) -> Callable[[type[APIView], Action], type[APIView]]:
    def document(view: type[APIView], action: Action) -> type[APIView]:
        return extend_schema(
            request=None,
            responses={200: answer, 400: ErrorSerializer, 403: ErrorSerializer, 409: ErrorSerializer},
            description=action.doc or str(action.label),
        )(view)

    return document


def _urls(workflow: Workflow, prefix: str, answer: type) -> list[URLPattern]:
    return api_urls(workflow, prefix=prefix, schema=_documented(answer))


def action_urls() -> list[URLPattern]:
    """POST api/faq/entries/<pk>/<action>/ and api/faq/base/<pk>/publish/ from the two tables."""
    return [
        *_urls(ENTRY_WORKFLOW, "api/faq/entries/", FaqEntrySerializer),
        *_urls(BASE_WORKFLOW, "api/faq/base/", FaqBaseSerializer),
    ]
