"""API shapes of recurring series: what a series says and where it sends, never how many
residents an area's message reaches (no per-area numbers at all, not even the privacy
module's rounded estimates)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from . import selectors
from .models import AreaSchedule, Series


class AreaScheduleSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = AreaSchedule
        fields = ["area", "area_name", "weekdays", "text"]
        read_only_fields = fields


class SeriesSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    author = serializers.CharField(source="author.full_name", read_only=True, default="")
    approver = serializers.CharField(source="approver.full_name", read_only=True, default="")
    areas = serializers.SerializerMethodField()
    # What an approval names (POST …/approve/ with this ``version``).
    version = serializers.SerializerMethodField()

    class Meta:
        model = Series
        fields = ["id", "title", "status", "status_label", "frequency", "interval", "month_day", "nth", "start_date",
                  "end_date", "count", "send_time", "skip_holidays", "skip_year_end", "exclusion_dates", "age_bands",
                  "interest_ids", "areas", "version", "author", "approver", "submitted_at", "approved_at", "ended_at",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_areas(self, series: Series) -> list[dict[str, Any]]:
        return list(AreaScheduleSerializer(selectors.schedules_of(series), many=True).data)

    def get_version(self, series: Series) -> str:
        return selectors.series_version(series)


class SeriesApproveSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="The series' ``version`` as the approver reviewed it.")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SeriesCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SeriesSkipSerializer(serializers.Serializer):
    date = serializers.DateField()
    area_id = serializers.IntegerField(required=False, allow_null=True, help_text="Empty: every area sending that day.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)
