"""DRF API of intake.bulky (mounted at /bulky/api/): catalogue, availability, bookings and
staff actions, with the same permissions and services as the pages."""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from accounts.services import audit_record

from . import selectors, services
from .audit import AUDIT_API_BOOKING_VIEWED, record_booking_action
from .models import MAX_ITEM_FEE_YEN, Booking, BookingLine, CollectionArea, Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "category", "fee_yen", "size_points", "accepted", "refusal_reason", "order", "is_active"]
        # The model's check constraint (bulky_item_points_positive), as a 400 instead of a 500
        # (found by tests/portal/test_api_fuzz.py).
        extra_kwargs = {"size_points": {"min_value": 1}, "fee_yen": {"max_value": MAX_ITEM_FEE_YEN}}

    def validate(self, attrs: dict) -> dict:
        accepted = attrs.get("accepted", getattr(self.instance, "accepted", True))
        reason = attrs.get("refusal_reason", getattr(self.instance, "refusal_reason", ""))
        if not accepted and not (reason or "").strip():
            raise serializers.ValidationError({"refusal_reason": "収集しない品目には理由を入力してください。"})
        return attrs


class NoStoreMixin:
    """Answers that may carry residents' data are never kept by a browser or proxy."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class ItemDeactivatedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    deactivated = serializers.BooleanField()
    item = ItemSerializer()


class ItemViewSet(NoStoreMixin, viewsets.ModelViewSet):
    """The item catalogue (set-up). Every change is audited as a field diff; deleting an
    item that bookings use deactivates it instead (200, ``deactivated: true``)."""

    portal_permission = Perm.MANAGE_BULKY_CATALOGUE
    serializer_class = ItemSerializer
    queryset = Item.objects.all()

    def perform_create(self, serializer: ItemSerializer) -> None:
        serializer.instance = services.item_save(
            item=None, values=serializer.validated_data, actor=self.request.user, request=self.request
        )

    def perform_update(self, serializer: ItemSerializer) -> None:
        serializer.instance = services.item_save(
            item=serializer.instance, values=serializer.validated_data, actor=self.request.user, request=self.request
        )

    @extend_schema(
        responses={
            204: OpenApiResponse(description="削除しました"),
            200: OpenApiResponse(ItemDeactivatedSerializer, description="申込で使われているため無効にしました"),
        }
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        item = self.get_object()
        if services.item_delete(item=item, actor=request.user, request=request):
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


class AvailableDateSerializer(serializers.Serializer):
    date = serializers.DateField()
    remaining_points = serializers.IntegerField()


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


class BookingLineSerializer(serializers.ModelSerializer):
    item_name = serializers.CharField(source="item.name")

    class Meta:
        model = BookingLine
        fields = ["item", "item_name", "quantity", "fee_yen", "size_points"]


class BookingListSerializer(serializers.ModelSerializer):
    """The queue: no personal data (address and phone only in the audited detail)."""

    area_name = serializers.CharField(source="area.area.name")
    lines = BookingLineSerializer(many=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "number",
            "area",
            "area_name",
            "collection_date",
            "status",
            "total_fee_yen",
            "total_points",
            "lines",
            "created_at",
        ]


class BookingDetailSerializer(BookingListSerializer):
    class Meta(BookingListSerializer.Meta):
        fields = [*BookingListSerializer.Meta.fields, "address", "phone", "rejection_reason", "staff_notes"]


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class RescheduleSerializer(serializers.Serializer):
    new_date = serializers.DateField()


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000)


class BookingViewSet(NoStoreMixin, viewsets.ReadOnlyModelViewSet):
    """Bookings for staff review; opening one (personal data) and every action on one
    (its answer shows the personal data) is audited."""

    portal_permission = Perm.REVIEW_BULKY_BOOKINGS
    serializer_class = BookingListSerializer
    filterset_fields = ["collection_date", "area", "status"]

    def get_queryset(self):
        return selectors.booking_queue()

    def get_serializer_class(self):
        if self.action == "list":
            return BookingListSerializer
        return BookingDetailSerializer

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        booking = self.get_object()
        audit_record(action=AUDIT_API_BOOKING_VIEWED, request=request, target=booking)
        return Response(BookingDetailSerializer(booking).data)

    def _run(self, request: Request, name: str, call, detail: dict | None = None) -> Response:
        booking = self.get_object()
        try:
            done = call(booking)
        except services.BookingError as error:
            record_booking_action(request=request, booking=booking, action=name, via="api", done=False, detail=detail)
            body: dict = {"detail": error.message}
            if error.next_dates:
                body["next_dates"] = [d.isoformat() for d in error.next_dates]
            return Response(body, status=status.HTTP_409_CONFLICT)
        record_booking_action(request=request, booking=booking, action=name, via="api", done=True, detail=detail)
        return Response(BookingDetailSerializer(Booking.objects.get(pk=done.pk)).data)

    @extend_schema(request=None, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, "approve", lambda b: services.booking_approve(booking=b, actor=request.user))

    @extend_schema(request=RejectSerializer, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            request,
            "reject",
            lambda b: services.booking_reject(booking=b, actor=request.user, reason=data.validated_data["reason"]),
        )

    @extend_schema(request=RescheduleSerializer, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new_date: dt.date = data.validated_data["new_date"]
        booking = self.get_object()
        return self._run(
            request,
            "reschedule",
            lambda b: services.booking_reschedule(booking=b, actor=request.user, new_date=new_date),
            detail={"from": booking.collection_date.isoformat(), "to": new_date.isoformat()},
        )

    @extend_schema(request=None, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def collect(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, "collect", lambda b: services.booking_mark_collected(booking=b, actor=request.user))

    @extend_schema(request=None, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, "cancel", lambda b: services.booking_cancel(booking=b, by_resident=False, actor=request.user))

    @extend_schema(request=NoteSerializer, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: str | None = None) -> Response:
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            request, "note", lambda b: services.booking_add_note(booking=b, actor=request.user, note=data.validated_data["note"])
        )
