"""URLs of portal.line (every view declares its permission: portal.access)."""

from django.urls import path

from . import views

app_name = "line"
urlpatterns: list = [
    path("webhook", views.webhook, name="webhook"),
    path("audience/", views.audience, name="audience"),
    path("residents/lookup/", views.resident_lookup, name="lookup"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/areas/new/", views.area_create, name="area_create"),
    path("settings/areas/<int:pk>/", views.area_edit, name="area_edit"),
    path("settings/interests/new/", views.interest_create, name="interest_create"),
    path("settings/interests/<int:pk>/", views.interest_edit, name="interest_edit"),
    path("settings/dimensions/", views.dimensions, name="dimensions"),
    path("settings/dimensions/new/", views.dimension_create, name="dimension_create"),
    path("settings/dimensions/<int:pk>/", views.dimension_edit, name="dimension_edit"),
    path("settings/dimensions/<int:pk>/move/", views.dimension_move, name="dimension_move"),
    path("settings/dimensions/<int:pk>/options/new/", views.option_create, name="option_create"),
    path("settings/options/<int:pk>/", views.option_edit, name="option_edit"),
    path("settings/options/<int:pk>/move/", views.option_move, name="option_move"),
]
