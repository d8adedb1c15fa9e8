"""URLs of the staff inbox (every view declares its permission: portal.access)."""

from django.urls import path

from portal.workflow import page_urls

from . import api, views
from .workflow import WORKFLOW

app_name = "inbox"

urlpatterns = [
    path("", views.inquiry_list, name="list"),
    path("<int:pk>/", views.inquiry_detail, name="detail"),
    # <pk>/start/, assign/, close/, reopen/, reply/, note/ (the inbox table)
    *page_urls(WORKFLOW, prefix="<int:pk>/"),
    path("api/inquiries/", api.InquiryListApi.as_view(), name="api_list"),
    path("api/inquiries/<int:pk>/", api.InquiryDetailApi.as_view(), name="api_detail"),
    # POST api/inquiries/<pk>/start/, assign/, close/, reopen/, reply/, note/
    *api.action_urls(),
]
