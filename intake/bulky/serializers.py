"""DRF serializers of intake.bulky: the catalogue, free dates, bookings (list and detail)
and the staff actions' request bodies (as documented in the OpenAPI schema)."""

from rest_framework import serializers

from .models import MAX_ITEM_FEE_YEN, Booking, BookingLine, Item


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


class ItemDeactivatedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    deactivated = serializers.BooleanField()
    item = ItemSerializer()


class AvailableDateSerializer(serializers.Serializer):
    date = serializers.DateField()
    remaining_points = serializers.IntegerField()


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


# Request bodies of the staff actions, for the schema (workflow.py's forms validate them).
class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class RescheduleSerializer(serializers.Serializer):
    new_date = serializers.DateField()


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000)


ACTION_REQUESTS: dict[str, type[serializers.Serializer]] = {
    "reject": RejectSerializer,
    "reschedule": RescheduleSerializer,
    "note": NoteSerializer,
}
