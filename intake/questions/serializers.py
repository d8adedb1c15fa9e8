"""API shapes of the Q&A base: an entry's content and state, the base's state. The feedback
counts (役に立った / 役に立たなかった) stay on the pages."""

from __future__ import annotations

from rest_framework import serializers

from . import selectors
from .models import FaqBase, FaqEntry


class FaqEntrySerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = FaqEntry
        fields = ["id", "key", "status", "status_label", *FaqEntry.CONTENT_FIELDS, "updated_at"]
        read_only_fields = fields


class FaqBaseSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    version = serializers.SerializerMethodField(help_text="The number of the version the chat answers from (null: none).")

    class Meta:
        model = FaqBase
        fields = ["id", "status", "status_label", "version", "updated_at"]
        read_only_fields = fields

    def get_version(self, base: FaqBase) -> int | None:
        version = selectors.published_version()
        return version.number if version is not None else None
