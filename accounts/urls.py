"""Staff management and audit log URLs (every view declares its permission)."""

from django.urls import path

from portal.workflow import page_urls

from . import views
from .workflow import WORKFLOW

app_name = "accounts"
urlpatterns = [
    path("", views.staff_list, name="staff_list"),
    path("invite/", views.staff_invite, name="staff_invite"),
    path("<int:pk>/", views.staff_edit, name="staff_edit"),
    # <pk>/deactivate/, reactivate/, reset-mfa/, resend-invitation/ (the staff-account table)
    *page_urls(WORKFLOW),
    path("roles/", views.role_policies, name="role_policies"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("invitation/<str:uidb64>/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
