"""Reply templates are edited in the Django admin (staff with admin access)."""

from django.contrib import admin

from .models import ReplyTemplate


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "moves_offline", "order", "is_active")
