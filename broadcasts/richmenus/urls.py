"""URLs of rich menus (every view declares its permission: portal.access). The action
buttons' POST pages and API endpoints come from the workflow table."""

from django.urls import path

from portal.workflow import page_urls

from . import api, views
from .workflow import WORKFLOW

app_name = "richmenus"
urlpatterns = [
    path("", views.menu_list, name="list"),
    path("new/", views.menu_new, name="new"),
    path("<int:pk>/", views.menu_detail, name="detail"),
    path("<int:pk>/edit/", views.menu_edit, name="edit"),
    path("<int:pk>/image/", views.menu_image, name="image"),
    # register, set-default, mark-disaster, unmark-disaster, link-segment, delete
    *page_urls(WORKFLOW),
    path("segments/<int:pk>/remove/", views.segment_remove, name="segment_remove"),
    path("disaster/", views.disaster, name="disaster"),
    path("disaster/switch/", views.disaster_switch, name="disaster_switch"),
    path("disaster/progress.json", views.disaster_progress, name="disaster_progress"),
    path("api/menus/", api.RichMenuListApi.as_view(), name="api_list"),
    path("api/menus/<int:pk>/", api.RichMenuDetailApi.as_view(), name="api_detail"),
    *api.action_urls(),
]
