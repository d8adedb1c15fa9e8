"""URLs of intake.questions (every view declares its permission: portal.access)."""

from django.urls import path

from portal.workflow import page_urls

from . import api, views
from .workflow import BASE_WORKFLOW, ENTRY_WORKFLOW

app_name = "questions"

urlpatterns = [
    path("", views.entries, name="entries"),
    path("new/", views.entry_edit, name="entry-new"),
    path("<int:pk>/", views.entry_detail, name="entry"),
    path("<int:pk>/edit/", views.entry_edit, name="entry-edit"),
    # <pk>/withdraw/, <pk>/restore/ (the entry table)
    *page_urls(ENTRY_WORKFLOW),
    path("base/<int:pk>/", views.base_detail, name="base"),
    # base/<pk>/publish/ (the base table)
    *page_urls(BASE_WORKFLOW, prefix="base/<int:pk>/"),
    path("api/faq/entries/", api.FaqEntryListApi.as_view(), name="api-entries"),
    path("api/faq/entries/<int:pk>/", api.FaqEntryDetailApi.as_view(), name="api-entry"),
    path("api/faq/base/<int:pk>/", api.FaqBaseDetailApi.as_view(), name="api-base"),
    # POST api/faq/entries/<pk>/withdraw/, restore/; api/faq/base/<pk>/publish/ (the tables)
    *api.action_urls(),
    path("try/", views.try_answer, name="try"),
    path("export.csv", views.export_csv, name="export"),
    path("import/", views.import_csv, name="import"),
    path("gomi/", views.gomi, name="gomi"),
    path("gomi/export.csv", views.gomi_export, name="gomi-export"),
    path("gomi/import/", views.gomi_import, name="gomi-import"),
]
