"""Open311 GeoReport v2 URLs (every view declares its permission: portal.access)."""

from django.urls import path, register_converter

from . import open311

register_converter(open311.FormatConverter, "fmt")

app_name = "open311"
urlpatterns = [
    path("services.<fmt:fmt>", open311.services_list, name="services"),
    path("services/<str:code>.<fmt:fmt>", open311.service_definition, name="service_definition"),
    path("requests.<fmt:fmt>", open311.requests_list, name="requests"),
    path("requests/<str:request_id>.<fmt:fmt>", open311.request_detail, name="request_detail"),
]
