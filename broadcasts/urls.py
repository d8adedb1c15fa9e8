"""URLs of broadcasts (every view declares its permission: portal.access). The action
buttons' POST pages and API endpoints come from the workflow table."""

from django.urls import path

from portal.workflow import page_urls

from . import api, results_views, views
from .workflow import WORKFLOW

app_name = "broadcasts"
urlpatterns = [
    path("", views.broadcast_list, name="list"),
    path("new/", views.broadcast_new, name="new"),
    path("emergency/new/", views.emergency_new, name="emergency_new"),
    path("approvals/", views.approvals, name="approvals"),
    path("test-account/", views.test_account, name="test_account"),
    path("results/", results_views.results_dashboard, name="results"),
    path("results/data.json", results_views.results_data, name="results_data"),
    path("results/monthly.csv", results_views.results_csv, name="results_csv"),
    path("<int:pk>/", views.broadcast_detail, name="detail"),
    path("<int:pk>/edit/", views.broadcast_edit, name="edit"),
    path("<int:pk>/progress.json", views.broadcast_progress, name="progress"),
    # submit, approve, return, schedule, cancel, delete, send, retry, test-send
    *page_urls(WORKFLOW),
    path("<int:pk>/review/", views.review, name="review"),
    path("media/<uuid:token>/<str:variant>.jpg", views.media, name="media"),
    # API (drf-spectacular documents it at /api/schema/)
    path("api/broadcasts/", api.BroadcastListApi.as_view(), name="api_list"),
    path("api/broadcasts/<int:pk>/", api.BroadcastDetailApi.as_view(), name="api_detail"),
    path("api/estimate/", api.EstimateApi.as_view(), name="api_estimate"),
    path("api/drafts/", api.DraftCreateApi.as_view(), name="api_draft_create"),
    path("api/drafts/<int:pk>/", api.DraftUpdateApi.as_view(), name="api_draft_update"),
    # submit, approve, return, schedule, cancel, send, retry
    *api.action_urls(),
]
