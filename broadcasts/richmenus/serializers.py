"""API shapes of rich menus."""

from __future__ import annotations

from rest_framework import serializers

from portal.line.models import AgeBand

from .models import RichMenu


class RichMenuSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    created_by = serializers.CharField(source="created_by.full_name", read_only=True, default="")
    segments = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = RichMenu
        fields = ["id", "name", "chat_bar_text", "status", "status_label", "width", "height", "areas", "created_by",
                  "segments", "created_at", "updated_at", "registered_at"]  # fmt: skip


class MenuSegmentSerializer(serializers.Serializer):
    area_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    age_bands = serializers.ListField(child=serializers.ChoiceField(choices=AgeBand.choices), required=False)
