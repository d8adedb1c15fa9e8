"""Django admin (superusers) for the roads reference data; staff use the portal pages."""

from django.contrib import admin

from .models import Category, ResponseTemplate, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "team", "emergency_phone", "order", "is_active"]


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "category", "is_active"]
