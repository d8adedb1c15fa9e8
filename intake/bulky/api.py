"""DRF API of intake.bulky (mounted at /bulky/api/): catalogue, availability, bookings and
staff actions, with the same permissions and services as the pages."""

import datetime as dt

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from accounts.services import audit_record

from . import selectors, services
from .audit import AUDIT_API_BOOKING_VIEWED
from .models import Booking, BookingLine, CollectionArea, Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "category", "fee_yen", "size_points", "accepted", "refusal_reason", "order", "is_active"]

    def validate(self, attrs: dict) -> dict:
        accepted = attrs.get("accepted", getattr(self.instance, "accepted", True))
        reason = attrs.get("refusal_reason", getattr(self.instance, "refusal_reason", ""))
        if not accepted and not (reason or "").strip():
            raise serializers.ValidationError({"refusal_reason": "収集しない品目には理由を入力してください。"})
        return attrs


class ItemViewSet(viewsets.ModelViewSet):
    """The item catalogue (set-up)."""

    portal_permission = Perm.MANAGE_BULKY_CATALOGUE
    serializer_class = ItemSerializer
    queryset = Item.objects.all()


class AvailableDateSerializer(serializers.Serializer):
    date = serializers.DateField()
    remaining_points = serializers.IntegerField()


class AvailabilityView(APIView):
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


class BookingViewSet(viewsets.ReadOnlyModelViewSet):
    """Bookings for staff review; opening one (personal data) is audited."""

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

    def _run(self, request: Request, call) -> Response:
        booking = self.get_object()
        try:
            booking = call(booking)
        except services.BookingError as error:
            body: dict = {"detail": error.message}
            if error.next_dates:
                body["next_dates"] = [d.isoformat() for d in error.next_dates]
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(BookingDetailSerializer(Booking.objects.get(pk=booking.pk)).data)

    @extend_schema(request=None, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, lambda b: services.booking_approve(booking=b, actor=request.user))

    @extend_schema(request=RejectSerializer, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            request, lambda b: services.booking_reject(booking=b, actor=request.user, reason=data.validated_data["reason"])
        )

    @extend_schema(request=RescheduleSerializer, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new_date: dt.date = data.validated_data["new_date"]
        return self._run(request, lambda b: services.booking_reschedule(booking=b, actor=request.user, new_date=new_date))

    @extend_schema(request=None, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def collect(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, lambda b: services.booking_mark_collected(booking=b, actor=request.user))

    @extend_schema(request=None, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._run(request, lambda b: services.booking_cancel(booking=b, by_resident=False, actor=request.user))

    @extend_schema(request=NoteSerializer, responses=BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: str | None = None) -> Response:
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            request, lambda b: services.booking_add_note(booking=b, actor=request.user, note=data.validated_data["note"])
        )
