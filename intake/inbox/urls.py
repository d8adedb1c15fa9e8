"""URLs of the staff inbox (every view declares its permission: portal.access)."""

from django.urls import path

from portal.workflow import page_urls

from . import views
from .workflow import WORKFLOW

app_name = "inbox"

urlpatterns = [
    path("", views.inquiry_list, name="list"),
    path("<int:pk>/", views.inquiry_detail, name="detail"),
    # <pk>/start/, assign/, close/, reopen/, reply/, note/ (the inbox table)
    *page_urls(WORKFLOW, prefix="<int:pk>/"),
]
