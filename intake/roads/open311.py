"""Open311 GeoReport v2 (JSON and XML): services, service definitions, requests.

Public endpoints (access.PUBLIC); POST /requests checks an admin-issued API key itself.
Nothing a resident (or an API reporter) typed is ever published: no address, no comment, no
contact detail. An answer carries the category, the status, and what staff wrote for the
public (説明 and 住所, empty until written); coordinates rounded to about 100 m and times to
the hour. A report appears once staff triaged it (it left 受付) or published it; staff can
keep any report private. Photos appear only once staff marked them publishable.
"""

import json
import re
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from portal import access

from . import selectors, services
from .models import Category, RoadReport, Status

MAX_REQUESTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
COORDINATE_DECIMALS = 3  # 0.001° ≈ 111 m north-south, ≈ 93 m east-west at 33°N
# Characters XML 1.0 does not allow (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF).
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """Text as an XML element may hold it (invalid characters dropped): one bad character
    in one report must not make the whole feed unreadable."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return XML_INVALID.sub("", text)


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


# -- rendering ---------------------------------------------------------------------------
def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        node = ET.SubElement(top, item)
        for key, value in row.items():
            child = ET.SubElement(node, key)
            if isinstance(value, list):
                for entry in value:
                    sub = ET.SubElement(child, "attribute")
                    for k, v in entry.items():
                        ET.SubElement(sub, k).text = "" if v is None else xml_text(v)
            elif value is not None:
                child.text = xml_text(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _respond(fmt: str, data: Any, *, root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        rows = data if isinstance(data, list) else [data]
        return HttpResponse(_xml(root, item, rows), content_type="text/xml; charset=utf-8", status=status)
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/json; charset=utf-8", status=status)


def _error(fmt: str, code: int, description: str) -> HttpResponse:
    return _respond(fmt, [{"code": code, "description": description}], root="errors", item="error", status=code)


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _hour(value: datetime | None) -> str | None:
    """A time rounded down to the hour (when a resident was out is nobody's business)."""
    return _iso(timezone.localtime(value).replace(minute=0, second=0, microsecond=0)) if value else None


def _floor_hour(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def _coarse(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


def service_dict(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or None,
        "metadata": False,
        "type": "realtime",
        "keywords": None,
        "group": "道路・公園",
    }


def request_dict(report: RoadReport) -> dict:
    photos = getattr(report, "public_photos", None)
    if photos is None:
        photos = [p for p in report.photos.all() if p.is_public]
    kind = services.status_type(report.status)
    return {
        "service_request_id": report.reference,
        "status": "open" if kind == services.OPEN else "closed",
        "status_notes": services.resident_label(report.status),
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.public_description or None,
        "agency_responsible": report.team.name if report.team else None,
        "service_notice": None,
        "requested_datetime": _hour(report.created_at),
        "updated_datetime": _hour(report.updated_at),
        "expected_datetime": None,
        "address": report.public_address or None,
        "address_id": None,
        "zipcode": None,
        "lat": _coarse(report.latitude),
        "long": _coarse(report.longitude),
        "media_url": services.public_photo_url(photos[0]) if photos else None,
    }


# -- views ---------------------------------------------------------------------------
@access.require(access.PUBLIC)
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = [service_dict(c) for c in Category.objects.filter(is_active=True).order_by("order", "id")]
    return _respond(fmt, rows, root="services", item="service")


@access.require(access.PUBLIC)
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if not Category.objects.filter(code=code, is_active=True).exists():
        return _error(fmt, 404, "service_code not found")
    data = {"service_code": code, "attributes": []}
    if fmt == "xml":
        top = ET.Element("service_definition")
        ET.SubElement(top, "service_code").text = xml_text(code)
        ET.SubElement(top, "attributes")
        return HttpResponse(
            b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8"), content_type="text/xml"
        )
    return _respond(fmt, data, root="service_definition", item="x")


def _parse_when(value: str):
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        from datetime import datetime, time

        parsed = datetime.combine(day, time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@csrf_exempt
@access.require(access.PUBLIC)
def requests_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    if request.method != "GET":
        return _error(fmt, 405, "method not allowed")
    params = request.GET
    qs = selectors.open311_requests(params=params)
    ids = [v.strip() for v in params.get("service_request_id", "").split(",") if v.strip()]
    if ids:
        qs = qs.filter(reference__in=ids[:MAX_REQUESTS])
    else:
        try:
            start, end = _parse_when(params.get("start_date", "")), _parse_when(params.get("end_date", ""))
        except ValueError:
            return _error(fmt, 400, "start_date/end_date must be ISO 8601 (w3c) date-times")
        if start is None and end is None:
            start = timezone.now() - DEFAULT_WINDOW
        # The bounds work at the hour, as the published times do: narrower windows must not
        # reveal a report's exact time (a binary search over start_date/end_date).
        if start is not None:
            qs = qs.filter(created_at__gte=_floor_hour(start))
        if end is not None:
            qs = qs.filter(created_at__lt=_floor_hour(end) + timedelta(hours=1))
        codes = [v for v in params.get("service_code", "").split(",") if v]
        if codes:
            qs = qs.filter(category__code__in=codes)
        wanted = {v.strip() for v in params.get("status", "").split(",") if v.strip()}
        if wanted - {"open", "closed"}:
            return _error(fmt, 400, "status must be open or closed")
        if wanted == {"open"}:
            qs = qs.filter(status__in=services.OPEN_STATUSES)
        elif wanted == {"closed"}:
            qs = qs.exclude(status__in=services.OPEN_STATUSES)
    rows = [request_dict(r) for r in qs[:MAX_REQUESTS]]
    return _respond(fmt, rows, root="service_requests", item="request")


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    if services.api_key_verify(raw=data.get("api_key", "")) is None:
        return _error(fmt, 403, "invalid api_key")
    category = Category.objects.filter(code=data.get("service_code", ""), is_active=True).first()
    if category is None:
        return _error(fmt, 400, "service_code not found")
    lat, lng = data.get("lat", ""), data.get("long", "")
    address = data.get("address_string", "").strip()
    try:
        latitude = float(lat) if lat else None
        longitude = float(lng) if lng else None
    except ValueError:
        return _error(fmt, 400, "lat/long must be numbers")
    if (latitude is None) != (longitude is None) or (latitude is None and not address):
        return _error(fmt, 400, "lat and long, or address_string, are required")
    if latitude is not None and longitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return _error(fmt, 400, "lat/long out of range")
    # Contact fields (email, name, phone, device_id, account_id) are not stored: this
    # portal keeps no contact details of API reporters.
    try:
        report = services.report_create(
            category=category,
            source=RoadReport.Source.OPEN311,
            latitude=latitude,
            longitude=longitude,
            location_source=RoadReport.LocationSource.API,
            address_text=address,
            comment=data.get("description", "")[:1000],
        )
    except ValidationError as exc:
        return _error(fmt, 400, " ".join(exc.messages))
    body = [{"service_request_id": report.reference, "service_notice": None, "account_id": None}]
    return _respond(fmt, body, root="service_requests", item="request", status=201)


@access.require(access.PUBLIC)
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    report = selectors.open311_requests(params={}).filter(reference=request_id).first()
    if report is None:
        return _error(fmt, 404, "service_request_id not found")
    return _respond(fmt, [request_dict(report)], root="service_requests", item="request")


__all__ = ["FormatConverter", "Status"]
