"""Staff management and audit log URLs (every view declares its permission)."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.staff_list, name="staff_list"),
    path("invite/", views.staff_invite, name="staff_invite"),
    path("<int:pk>/", views.staff_edit, name="staff_edit"),
    path("<int:pk>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("<int:pk>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path("<int:pk>/reset-mfa/", views.staff_mfa_reset, name="staff_mfa_reset"),
    path("<int:pk>/resend-invitation/", views.staff_invitation_resend, name="staff_invitation_resend"),
    path("roles/", views.role_policies, name="role_policies"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("invitation/<str:uidb64>/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
