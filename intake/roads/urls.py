"""URLs of intake.roads (every view declares its permission: portal.access)."""

from django.urls import path

from . import views

app_name = "roads"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("export.csv", views.export_csv, name="export"),
    path("bulk/", views.bulk, name="bulk"),
    path("stats/", views.stats, name="stats"),
    path("areas.geojson", views.areas_geojson, name="areas_geojson"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status/", views.change_status, name="change_status"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/public-info/", views.public_info, name="public_info"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/note/", views.add_note, name="add_note"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/dismiss-duplicate/", views.dismiss_duplicate, name="dismiss_duplicate"),
    path("<int:pk>/privacy/", views.privacy, name="privacy"),
    path("<int:pk>/use-location-hint/", views.use_hint, name="use_hint"),
    path("photos/<int:pk>/edit/", views.photo_edit, name="photo_edit"),
    path("photos/<int:pk>/<str:variant>/", views.photo, name="photo"),
    path("public/<str:token>/<str:variant>/", views.public_photo, name="public_photo"),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("settings/", views.settings_home, name="settings_home"),
    path("settings/<str:kind>/", views.settings_list, name="settings"),
    path("settings/<str:kind>/<int:pk>/", views.settings_edit, name="settings_edit"),
]
