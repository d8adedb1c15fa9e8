"""Django admin (superusers) for the roads reference data; staff use the portal pages.
A superuser's change here is audited like one on the portal's settings pages (a field diff:
a category's emergency phone number and the reply templates are what residents are told)."""

from typing import Any

from django.contrib import admin

from .models import Category, ResponseTemplate, Team


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        from accounts.services import audit_changes, snapshot
        from portal.context import AuditContext

        from .services import AUDIT_SETTINGS_CHANGED

        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        audit_changes(
            action=AUDIT_SETTINGS_CHANGED,
            before=before,
            after=snapshot(obj),
            ctx=AuditContext.from_request(request),
            target=obj,
            extra={"via": "django-admin", **({} if change else {"created": True})},
        )

    def delete_model(self, request: Any, obj: Any) -> None:
        from accounts.services import audit_changes, snapshot
        from portal.context import AuditContext

        from .services import AUDIT_SETTINGS_CHANGED

        audit_changes(
            action=AUDIT_SETTINGS_CHANGED,
            before=snapshot(obj),
            after={},
            ctx=AuditContext.from_request(request),
            target=obj,
            extra={"via": "django-admin", "deleted": True},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:  # each deletion audited (the admin's bulk action)
            self.delete_model(request, obj)


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["code", "name", "is_active"]


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "code", "team", "emergency_phone", "order", "is_active"]


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(AuditedAdmin):
    list_display = ["name", "status", "category", "is_active"]
