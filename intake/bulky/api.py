"""DRF API of intake.bulky (mounted at /bulky/api/): catalogue, availability and bookings.
The staff actions on a booking (/bulky/api/bookings/<id>/<action>/) are generated from the
booking table (workflow.py) with the pages' permissions and services: see urls.py."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from accounts.services import audit_record
from portal.context import AuditContext
from portal.workflow import Action

from . import selectors, services
from .audit import AUDIT_API_BOOKING_VIEWED
from .models import Booking, CollectionArea, Item
from .serializers import (
    ACTION_REQUESTS,
    AvailableDateSerializer,
    BookingDetailSerializer,
    BookingListSerializer,
    ItemDeactivatedSerializer,
    ItemSerializer,
)


class NoStoreMixin:
    """Answers that may carry residents' data are never kept by a browser or proxy."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        add_never_cache_headers(response)
        return response


class ItemViewSet(NoStoreMixin, viewsets.ModelViewSet):
    """The item catalogue (set-up). Every change is audited as a field diff; deleting an
    item that bookings use deactivates it instead (200, ``deactivated: true``)."""

    portal_permission = Perm.MANAGE_BULKY_CATALOGUE
    serializer_class = ItemSerializer
    queryset = Item.objects.all()

    def perform_create(self, serializer: ItemSerializer) -> None:  # type: ignore[override]
        self.perform_update(serializer)

    def perform_update(self, serializer: ItemSerializer) -> None:  # type: ignore[override]
        serializer.instance = services.item_save(
            item=serializer.instance, values=serializer.validated_data, ctx=AuditContext.from_request(self.request)
        )

    @extend_schema(
        responses={
            204: OpenApiResponse(description="削除しました"),
            200: OpenApiResponse(ItemDeactivatedSerializer, description="申込で使われているため無効にしました"),
        }
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        if services.item_delete(item=item, ctx=AuditContext.from_request(request)):
            return Response(status=status.HTTP_204_NO_CONTENT)
        item.refresh_from_db()
        return Response(
            {
                "detail": _("この品目は申込で使われているため削除せず、無効にしました（住民の申込画面には表示されません）。"),
                "deactivated": True,
                "item": ItemSerializer(item).data,
            },
            status=status.HTTP_200_OK,
        )


class AvailabilityView(NoStoreMixin, APIView):
    """Bookable dates of an area that still have ``points`` free."""

    portal_permission = Perm.REVIEW_BULKY_BOOKINGS

    @extend_schema(
        parameters=[
            OpenApiParameter("area", int, required=True, description="収集地域のID"),
            OpenApiParameter("points", int, required=False, description="必要な点数（既定1）"),
        ],
        responses=AvailableDateSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        try:
            area_id = int(request.query_params.get("area", ""))
            points = max(int(request.query_params.get("points", "1")), 1)
        except ValueError:
            return Response({"detail": "area と points は整数で指定してください。"}, status=status.HTTP_400_BAD_REQUEST)
        area = get_object_or_404(CollectionArea, pk=area_id)
        dates = selectors.available_dates(area=area, points=points)
        return Response(AvailableDateSerializer([{"date": d, "remaining_points": r} for d, r in dates], many=True).data)


class BookingViewSet(NoStoreMixin, viewsets.ReadOnlyModelViewSet):
    """Bookings for staff review; opening one (personal data) is audited, as is every
    action on one (workflow.py: its answer shows the personal data)."""

    portal_permission = Perm.REVIEW_BULKY_BOOKINGS
    serializer_class = BookingListSerializer
    filterset_fields = ["collection_date", "area", "status"]

    def get_queryset(self) -> QuerySet[Booking]:
        return selectors.booking_queue()

    def get_serializer_class(self) -> type[BookingListSerializer]:
        if self.action == "list":
            return BookingListSerializer
        return BookingDetailSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        booking = self.get_object()
        audit_record(action=AUDIT_API_BOOKING_VIEWED, ctx=AuditContext.from_request(request), target=booking)
        return Response(BookingDetailSerializer(booking).data)


def action_schema(view: type, action: Action) -> type:
    """The OpenAPI description of a generated booking action (api_urls' ``schema``)."""
    request = ACTION_REQUESTS.get(action.name)
    return extend_schema(request=request, responses=BookingDetailSerializer, description=str(action.label))(view)


__all__ = [
    "AvailabilityView",
    "BookingViewSet",
    "ItemViewSet",
    "action_schema",
]
