"""DRF API of the staff inbox: the list, one conversation, and the table's actions
(``api_urls``: POST /inbox/api/inquiries/<pk>/<action>/, 問い合わせ対応 as on the pages).

Reading is audited exactly as the pages audit it (the list with its filters and how many
rows it showed, a conversation as its target). The answers carry no personal data
(serializers.py), and are never kept by a browser or proxy. Opening a conversation here does
not mark it read for the resident (the page does, for handlers). A reply needs its
``submission_key``: the same key again saves and sends nothing more."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import audit_record
from portal.context import AuditContext
from portal.workflow import action_schema, api_urls

from .audit import AUDIT_INQUIRY_VIEWED
from .models import Inquiry
from .serializers import InquiryAssignSerializer, InquiryNoteSerializer, InquiryReplySerializer, InquirySerializer
from .views import READ, inquiry_listing
from .workflow import WORKFLOW


class _NoStore(APIView):
    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class InquiryListApi(_NoStore):
    """Conversations, newest resident message first, ``PAGE_SIZE`` a page (``page``, from 1),
    filtered as the list page filters (``status``, ``team``, ``mine``). The next and previous
    pages are in the ``Link`` header (``rel="next"`` / ``rel="prev"``), as on GitHub's API:
    the answer stays a plain list."""

    portal_permission = READ

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, required=False),
            OpenApiParameter("team", str, required=False),
            OpenApiParameter("mine", bool, required=False),
            OpenApiParameter("page", int, required=False),
        ],
        responses=InquirySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        _form, _status, window = inquiry_listing(request, request.query_params)
        response = Response(InquirySerializer(list(window), many=True).data)
        links = [
            (rel, n)
            for rel, n, shown in (
                ("prev", window.number - 1, window.has_previous()),
                ("next", window.number + 1, window.has_next()),
            )
            if shown
        ]
        if links:
            response["Link"] = ", ".join(f'<{_page_url(request, n)}>; rel="{rel}"' for rel, n in links)
        return response


def _page_url(request: Request, number: int) -> str:
    params = request.query_params.copy()
    params["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


class InquiryDetailApi(_NoStore):
    """One conversation's state, team, assignee and times (audited as a view)."""

    portal_permission = READ

    @extend_schema(responses=InquirySerializer)
    def get(self, request: Request, pk: int) -> Response:
        inquiry = get_object_or_404(Inquiry.objects.select_related("resident"), pk=pk)
        audit_record(action=AUDIT_INQUIRY_VIEWED, ctx=AuditContext.from_request(request), target=inquiry)
        return Response(InquirySerializer(inquiry).data)


_SCHEMA = action_schema(
    InquirySerializer,
    requests={"assign": InquiryAssignSerializer, "reply": InquiryReplySerializer, "note": InquiryNoteSerializer},
)


def action_urls() -> list[URLPattern]:
    """POST api/inquiries/<pk>/<action>/ for every action of the inbox table."""
    return api_urls(WORKFLOW, prefix="api/inquiries/", schema=_SCHEMA)
