"""Views of the LINE layer: the webhook LINE posts to, and staff pages."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal import access

from . import services
from .simulate import verify_signature


@csrf_exempt
@access.require(access.PUBLIC)
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """LINE's webhook: the signature is checked on the raw body; every event is stored
    before the 200 and processed by Celery."""
    body = request.body
    if not verify_signature(body, request.headers.get("X-Line-Signature", ""), settings.LINE_CHANNEL_SECRET):
        return JsonResponse({"message": "invalid signature"}, status=400)
    try:
        data = json.loads(body)
    except ValueError:
        return JsonResponse({"message": "malformed JSON"}, status=400)
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        return JsonResponse({"message": "events must be a list"}, status=400)
    services.webhook_events_store(events=events)
    return JsonResponse({})
