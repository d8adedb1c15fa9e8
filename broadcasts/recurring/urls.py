"""URLs of recurring broadcasts (every view declares its permission: portal.access). The
action buttons' POST pages come from the workflow table."""

from django.urls import path

from portal.workflow import page_urls

from . import views
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
]
