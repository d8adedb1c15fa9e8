"""Root URLs. Each app owns its own urls.py; every view declares its permission."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import access, views

# foundation: Django admin signs in through allauth (rate limits, MFA, audit), never its own form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

# The schema views declare their own access: staff only.
SpectacularAPIView.portal_permission = access.AUTHENTICATED  # type: ignore[attr-defined]
SpectacularSwaggerSplitView.portal_permission = access.AUTHENTICATED  # type: ignore[attr-defined]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("retention/", views.retention, name="retention"),
    # Staff never manage their own sign-in addresses (admins change them on the staff page,
    # audited): allauth's e-mail management answers 404, before allauth's own URL.
    path("accounts/email/", views.account_email_closed, name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("staff/", include("accounts.urls")),
    path("line/", include("portal.line.urls")),
    path("broadcasts/recurring/", include("broadcasts.recurring.urls")),
    path("broadcasts/richmenus/", include("broadcasts.richmenus.urls")),
    path("broadcasts/", include("broadcasts.urls")),
    path("roads/", include("intake.roads.urls")),
    path("bulky/", include("intake.bulky.urls")),
    path("questions/", include("intake.questions.urls")),
    path("inbox/", include("intake.inbox.urls")),
    path("open311/v2/", include("intake.roads.open311_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="portal/swagger_ui.html"),
        name="api-docs",
    ),
    path("django-admin/", admin.site.urls),
]
