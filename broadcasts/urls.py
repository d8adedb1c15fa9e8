"""URLs of broadcasts (every view declares its permission: portal.access)."""

from django.urls import path

from . import api, views

app_name = "broadcasts"
urlpatterns = [
    path("", views.broadcast_list, name="list"),
    path("new/", views.broadcast_new, name="new"),
    path("emergency/new/", views.emergency_new, name="emergency_new"),
    path("approvals/", views.approvals, name="approvals"),
    path("test-account/", views.test_account, name="test_account"),
    path("<int:pk>/", views.broadcast_detail, name="detail"),
    path("<int:pk>/edit/", views.broadcast_edit, name="edit"),
    path("<int:pk>/progress.json", views.broadcast_progress, name="progress"),
    path("<int:pk>/submit/", views.broadcast_submit, name="submit"),
    path("<int:pk>/approve/", views.broadcast_approve, name="approve"),
    path("<int:pk>/return/", views.broadcast_return, name="return"),
    path("<int:pk>/schedule/", views.broadcast_schedule, name="schedule"),
    path("<int:pk>/cancel/", views.broadcast_cancel, name="cancel"),
    path("<int:pk>/delete/", views.broadcast_delete, name="delete"),
    path("<int:pk>/send/", views.broadcast_send, name="send"),
    path("<int:pk>/retry/", views.broadcast_retry, name="retry"),
    path("<int:pk>/test-send/", views.broadcast_test_send, name="test_send"),
    path("<int:pk>/review/", views.review, name="review"),
    path("media/<uuid:token>/<str:variant>.jpg", views.media, name="media"),
    # API (drf-spectacular documents it at /api/schema/)
    path("api/broadcasts/", api.BroadcastListApi.as_view(), name="api_list"),
    path("api/broadcasts/<int:pk>/", api.BroadcastDetailApi.as_view(), name="api_detail"),
    path("api/estimate/", api.EstimateApi.as_view(), name="api_estimate"),
    path("api/drafts/", api.DraftCreateApi.as_view(), name="api_draft_create"),
    path("api/drafts/<int:pk>/", api.DraftUpdateApi.as_view(), name="api_draft_update"),
    path("api/broadcasts/<int:pk>/submit/", api.SubmitApi.as_view(), name="api_submit"),
    path("api/broadcasts/<int:pk>/approve/", api.ApproveApi.as_view(), name="api_approve"),
    path("api/broadcasts/<int:pk>/return/", api.ReturnApi.as_view(), name="api_return"),
    path("api/broadcasts/<int:pk>/schedule/", api.ScheduleApi.as_view(), name="api_schedule"),
    path("api/broadcasts/<int:pk>/cancel/", api.CancelApi.as_view(), name="api_cancel"),
    path("api/broadcasts/<int:pk>/send/", api.SendApi.as_view(), name="api_send"),
    path("api/broadcasts/<int:pk>/retry/", api.RetryApi.as_view(), name="api_retry"),
]
