"""API shapes of the staff inbox: a conversation's bookkeeping only. No answer carries what a
resident wrote, a LINE user id or anyone's name: the id, state, team, assignee (a staff id),
the resident's chosen language code and the timestamps."""

from __future__ import annotations

from rest_framework import serializers

from .models import Inquiry


class InquirySerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    language = serializers.SerializerMethodField(help_text='The language code the resident chose in 受信設定, or "".')

    class Meta:
        model = Inquiry
        fields = ["id", "status", "status_label", "team", "assignee", "language", "unread", "opened_at",
                  "last_message_at", "closed_at", "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_language(self, inquiry: Inquiry) -> str:
        code = getattr(inquiry, "resident_language_code", None)  # the list's annotation
        if code is None:
            code = inquiry.resident.language
        return str(code or "")


class InquiryReplySerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    template = serializers.IntegerField(required=False, allow_null=True, help_text="A reply template's id.")
    submission_key = serializers.UUIDField(help_text="One per reply: the same key again sends nothing more.")


class InquiryNoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    submission_key = serializers.UUIDField()


class InquiryAssignSerializer(serializers.Serializer):
    team = serializers.CharField()
    assignee = serializers.IntegerField(required=False, allow_null=True, help_text="A staff id (empty: the team).")
