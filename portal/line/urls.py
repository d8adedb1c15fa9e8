"""URLs of portal.line (every view declares its permission: portal.access)."""

from django.urls import path

from . import views

app_name = "line"
urlpatterns: list = [
    path("webhook", views.webhook, name="webhook"),
]
