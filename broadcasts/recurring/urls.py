"""URLs of recurring broadcasts (every view declares its permission: portal.access). The
action buttons' POST pages and API endpoints come from the workflow table."""

from django.urls import path

from portal.workflow import page_urls

from . import api, views
from .workflow import WORKFLOW

app_name = "recurring"
urlpatterns = [
    path("", views.series_list, name="list"),
    path("new/", views.series_new, name="new"),
    path("calendar/", views.calendar, name="calendar"),
    path("<int:pk>/", views.series_detail, name="detail"),
    path("<int:pk>/edit/", views.series_edit, name="edit"),
    # submit, approve, return, pause, resume, skip, end, delete
    *page_urls(WORKFLOW),
    path("api/series/", api.SeriesListApi.as_view(), name="api_list"),
    path("api/series/<int:pk>/", api.SeriesDetailApi.as_view(), name="api_detail"),
    # POST api/series/<pk>/submit/, approve/, return/, pause/, resume/, skip/, end/, delete/
    *api.action_urls(),
]
