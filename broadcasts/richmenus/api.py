"""DRF API of rich menus: the list, one menu, and the table's actions (``api_urls``)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.workflow import action_schema, api_urls

from . import selectors
from .serializers import MenuSegmentSerializer, RichMenuSerializer
from .workflow import VIEW, WORKFLOW


class RichMenuListApi(ListAPIView):
    """Rich menus (not deleted), newest first."""

    portal_permission = VIEW
    serializer_class = RichMenuSerializer

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        return selectors.menu_list()


class RichMenuDetailApi(APIView):
    portal_permission = VIEW

    @extend_schema(responses=RichMenuSerializer)
    def get(self, request: Request, pk: int) -> Response:
        menu = get_object_or_404(selectors.menu_list(), pk=pk)
        return Response(RichMenuSerializer(menu).data)


def action_urls() -> list[URLPattern]:
    """POST /api/menus/<pk>/<action>/ for every action of the table that has one."""
    return api_urls(
        WORKFLOW, prefix="api/menus/", schema=action_schema(RichMenuSerializer, requests={"link_segment": MenuSegmentSerializer})
    )
