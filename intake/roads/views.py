"""Triage workspace views (thin: forms in, services/selectors out). Every view declares
its permission with portal.access, checked before any object lookup."""

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Perm
from portal import access
from portal.context import AuditContext
from portal.csv import csv_response
from portal.errors import DomainError
from portal.pages import form_saved, found_or_404

from . import forms, photos, selectors, services
from .filters import ReportFilter
from .models import ApiKey, Category, ReportPhoto, ResponseTemplate, RoadReport, Status, Team

PAGE_SIZE = 50
PINNED_MAX = 50


def _safe_next(request: HttpRequest, value: str, fallback: str) -> str:
    """``value`` when it points inside this portal (not ``//evil.example``, not another
    scheme or host), else ``fallback``."""
    if value.startswith("/") and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value  # a path on this portal (a bare word such as "-1" would be taken for a view name)
    return reverse(fallback)


def _filtered(request: HttpRequest):
    f = ReportFilter(request.GET or None, queryset=selectors.queue_base())
    qs = f.qs if f.is_bound and f.is_valid() else selectors.queue_base()
    return f, selectors.queue_sorted(qs, request.GET.get("sort", "new"))


def _marker(report: RoadReport) -> dict | None:
    if not report.has_location:
        return None
    return {
        "lat": report.latitude,
        "lng": report.longitude,
        "ref": report.reference,
        "label": f"{report.reference} {report.category.name} {report.get_status_display()}",
        "url": report.detail_url,
    }


def _map_context(markers: list[dict]) -> dict:
    return {
        "map_config": {
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "center": list(settings.MAP_DEFAULT_CENTER),
            "markers": markers,
            "areas_url": reverse("roads:areas_geojson"),
        },
        "map_has_tiles": bool(settings.MAP_TILE_URL),
    }


@access.require(Perm.TRIAGE_ROAD_REPORTS)
def queue(request: HttpRequest) -> HttpResponse:
    filterset, qs = _filtered(request)
    # Open 緊急 reports (a resident said the place is dangerous) come first, whatever the
    # sort: they are pinned above the other rows on the first page.
    pinned_qs, rest = selectors.queue_split_urgent(qs)
    page = Paginator(rest, PAGE_SIZE).get_page(request.GET.get("page"))
    pinned = list(pinned_qs[:PINNED_MAX]) if page.number == 1 else []
    rows = selectors.with_photo_counts([*pinned, *page.object_list])
    detail_prefix = reverse("roads:detail", args=[0]).removesuffix("0/")
    for row in rows:
        row.detail_url = f"{detail_prefix}{row.pk}/"  # one reverse() for the page, not one per row
        row.pinned = False
    for row in rows[: len(pinned)]:
        row.pinned = True
    params = request.GET.copy()
    params.pop("page", None)
    filtering = any(v for k, vs in request.GET.lists() if k not in ("page", "sort") for v in vs)
    return render(
        request,
        "roads/queue.html",
        {
            "filter": filterset,
            "filtering": filtering,
            "page": page,
            "total": page.paginator.count + (pinned_qs.count() if page.number > 1 else len(pinned)),
            "rows": rows,
            "querystring": params.urlencode(),
            "sort": request.GET.get("sort", "new"),
            "sorts": [
                ("new", _("新しい順")),
                ("old", _("古い順")),
                ("priority", _("優先度順")),
                ("updated", _("更新順")),
                ("status", _("状態順")),
            ],
            "bulk_form": forms.BulkForm(auto_id="bulk_%s"),  # ids distinct from the filter form's
            **_map_context([m for m in (_marker(r) for r in rows) if m]),
        },
    )


@access.require(Perm.TRIAGE_ROAD_REPORTS)
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """The filtered queue as CSV (no LINE user IDs, names or contact details); audited;
    streamed through the one CSV writer (BOM, formulas neutralised, not cached)."""
    _filterset, qs = _filtered(request)
    count = qs.count()
    services.export_record(ctx=AuditContext.from_request(request), filters=dict(request.GET.lists()), rows=count)
    header = [
        _("受付番号"), _("受付日時"), _("種別"), _("状態"), _("優先度"), _("危険"), _("担当班"), _("担当者"), _("地域"),
        _("緯度"), _("経度"), _("住所・目印"), _("コメント"), _("写真枚数"), _("重複の可能性"),
    ]  # fmt: skip

    # Labels looked up once per export, not once per row (a choice's display is a lazy
    # translation: hashing it per cell cost more than the rest of the row, bench/export.py).
    statuses = {value: str(label) for value, label in Status.choices}
    priorities = {value: str(label) for value, label in RoadReport._meta.get_field("priority").flatchoices}
    dangerous, duplicate = _("危険"), _("あり")
    tz = timezone.get_current_timezone()

    def rows():
        for row in selectors.export_rows(qs):
            (reference, created_at, category, status, priority, is_dangerous, team, assignee_name, assignee_email,
             area, latitude, longitude, address_text, comment, photo_count, duplicate_of) = row  # fmt: skip
            yield [
                reference,
                created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                category,
                statuses.get(status, status),
                priorities.get(priority, priority),
                dangerous if is_dangerous else "",
                team or "",
                assignee_name or assignee_email or "",
                area or "",
                round(latitude, 6) if latitude is not None else "",
                round(longitude, 6) if longitude is not None else "",
                address_text,
                comment,
                photo_count,
                duplicate if duplicate_of else "",
            ]

    return csv_response(filename=f"road-reports-{timezone.localdate():%Y%m%d}.csv", header=header, rows=rows())


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("report") if v.isdigit()]
    form = forms.BulkForm(request.POST)
    back = _safe_next(request, request.POST.get("next", ""), "roads:queue")
    if not ids or not form.is_valid():
        messages.error(request, _("通報と操作を選んでください。"))
        return redirect(back)
    reports = list(RoadReport.objects.filter(pk__in=ids).select_related("category", "resident"))
    data = form.cleaned_data
    if data["action"] == "status":
        if not data["status"]:
            messages.error(request, _("新しい状態を選んでください。"))
        else:
            changed, refused = services.report_bulk_change_status(
                reports=reports, to=data["status"], ctx=AuditContext.from_request(request), message=data["message"]
            )
            messages.success(request, _("%(n)s件の状態を変更しました。") % {"n": changed})
            if refused:
                messages.warning(request, _("変更できなかった通報: %(refs)s") % {"refs": ", ".join(refused)})
    else:
        fields = tuple(name for name in ("team", "assignee") if data[name] is not None)
        n = services.report_bulk_assign(
            reports=reports, ctx=AuditContext.from_request(request), team=data["team"], assignee=data["assignee"], fields=fields
        )
        messages.success(request, _("%(n)s件を割り当てました。") % {"n": n})
    return redirect(back)


@access.require(Perm.TRIAGE_ROAD_REPORTS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = found_or_404(selectors.report_detail, pk=pk)
    report.detail_url = request.path
    services.report_view_record(report=report, ctx=AuditContext.from_request(request))
    assign_form = forms.AssignForm(
        initial={"team": report.team_id, "assignee": report.assignee_id, "priority": report.priority, "area": report.area_id},
        auto_id="assign-%s",
    )
    templates = [
        t
        for t in ResponseTemplate.objects.filter(is_active=True).select_related("category")
        if t.category_id in (None, report.category_id)
    ]
    template_texts = {str(t.pk): services.template_render(template=t, report=report) for t in templates}
    photos_all = list(report.photos.all())
    return render(
        request,
        "roads/detail.html",
        {
            "report": report,
            "status_type": services.status_type(report.status),
            "resident_label": services.resident_label(report.status),
            "status_form": forms.StatusChangeForm(allowed=services.allowed_transitions(report.status), auto_id="status-%s"),
            "reply_form": forms.ReplyForm(templates=templates, auto_id="reply-%s"),
            "can_reply": bool(services.recipients_of(report)),
            "public_form": forms.PublicInfoForm(
                initial={"public_description": report.public_description, "public_address": report.public_address},
                auto_id="public-%s",
            ),
            "open311_visible": selectors.open311_visible(report),
            "assign_form": assign_form,
            "note_form": forms.NoteForm(auto_id="note-%s"),
            "merge_form": forms.MergeForm(
                initial={"into": report.possible_duplicate_of.reference if report.possible_duplicate_of else ""},
                auto_id="merge-%s",
            ),
            "redact_form": forms.RedactForm(),
            "template_texts": template_texts,
            "resident_photos": [p for p in photos_all if p.kind == ReportPhoto.Kind.RESIDENT],
            "after_photos": [p for p in photos_all if p.kind == ReportPhoto.Kind.AFTER],
            **_map_context([m for m in [_marker(report)] if m]),
        },
    )


def _back(pk: int) -> HttpResponse:
    return redirect("roads:detail", pk=pk)


def _on_report(
    request: HttpRequest,
    pk: int,
    run: Callable[[RoadReport, AuditContext, dict[str, Any]], str],
    *,
    form: django_forms.BaseForm | None = None,
) -> HttpResponse:
    """What every button of a report's page does: validate its form, ``run`` it on the report
    (given the audit context and the form's data), show what ``run`` says it did (or the
    refusal) and go back to the report."""
    report = get_object_or_404(RoadReport.objects.select_related("category"), pk=pk)
    data: dict[str, Any] = {}
    if form is not None:
        if not form.is_valid():
            messages.error(request, _("入力内容を確認してください。"))
            return _back(pk)
        data = form.cleaned_data
    try:
        done = run(report, AuditContext.from_request(request), data)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(pk)
    if done:
        messages.success(request, done)
    return _back(pk)


def _message(report: RoadReport, data: dict[str, Any]) -> str:
    """The message to the resident: as written, else the chosen template's text."""
    message = data["message"].strip()
    if not message and data["template"] is not None:
        message = services.template_render(template=data["template"], report=report)
    return message


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    def run(report: RoadReport, ctx: AuditContext, data: dict[str, Any]) -> str:
        message = _message(report, data)
        after = None
        if data["after_photo"] is not None:
            if data["status"] != Status.DONE:
                raise DomainError(_("補修後の写真は「完了」のときだけ添付できます。"))
            after = services.after_photo_upload(body=data["after_photo"].read(), ctx=ctx)
        services.report_change_status(report=report, to=data["status"], ctx=ctx, message=message, after_photo=after)
        return _("状態を変更し、住民へメッセージを送りました。") if message else _("状態を変更しました。")

    return _on_report(request, pk, run, form=forms.StatusChangeForm(request.POST, request.FILES))


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A message to the resident that leaves the status as it is."""

    def run(report: RoadReport, ctx: AuditContext, data: dict[str, Any]) -> str:
        services.report_reply(report=report, ctx=ctx, message=_message(report, data))
        return _("住民へメッセージを送りました（状態は変わりません）。")

    form = forms.ReplyForm(request.POST, templates=ResponseTemplate.objects.filter(is_active=True))
    return _on_report(request, pk, run, form=form)


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def public_info(request: HttpRequest, pk: int) -> HttpResponse:
    """What Open311 shows of the report: staff-written description and address."""

    def run(report: RoadReport, ctx: AuditContext, data: dict[str, Any]) -> str:
        services.report_public_info_update(
            report=report, ctx=ctx, public_description=data["public_description"], public_address=data["public_address"]
        )
        return _("公開情報を保存しました。")

    return _on_report(request, pk, run, form=forms.PublicInfoForm(request.POST))


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    def run(report: RoadReport, ctx: AuditContext, data: dict[str, Any]) -> str:
        services.report_assign(report=report, ctx=ctx, **data)
        return _("割り当てを保存しました。")

    return _on_report(request, pk, run, form=forms.AssignForm(request.POST))


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    def run(report: RoadReport, ctx: AuditContext, data: dict[str, Any]) -> str:
        services.note_add(report=report, ctx=ctx, text=data["text"])
        return _("内部メモを追加しました。")

    return _on_report(request, pk, run, form=forms.NoteForm(request.POST))


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(RoadReport, pk=pk)
    form = forms.MergeForm(request.POST)
    into = RoadReport.objects.filter(reference=form.data.get("into", "").strip()).first()
    if into is None:
        messages.error(request, _("統合先の受付番号が見つかりません。"))
        return _back(pk)
    try:
        services.report_merge(duplicate=report, into=into, ctx=AuditContext.from_request(request))
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(pk)
    messages.success(request, _("%(ref)s に統合しました。") % {"ref": into.reference})
    return _back(into.pk)


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def dismiss_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    def run(report: RoadReport, ctx: AuditContext, data: dict[str, Any]) -> str:
        services.report_dismiss_duplicate(report=report, ctx=ctx)
        return ""

    return _on_report(request, pk, run)


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def privacy(request: HttpRequest, pk: int) -> HttpResponse:
    publish = request.POST.get("publish")

    def run(report: RoadReport, ctx: AuditContext, data: dict[str, Any]) -> str:
        if publish in ("1", "0"):
            services.report_public_info_update(report=report, ctx=ctx, is_published=publish == "1")
        else:
            services.report_set_private(report=report, is_private=request.POST.get("is_private") == "1", ctx=ctx)
        return ""

    return _on_report(request, pk, run)


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def use_hint(request: HttpRequest, pk: int) -> HttpResponse:
    def run(report: RoadReport, ctx: AuditContext, data: dict[str, Any]) -> str:
        services.report_use_location_hint(report=report, ctx=ctx)
        return ""

    return _on_report(request, pk, run)


# -- photos --------------------------------------------------------------------------
def _file(relative: str) -> FileResponse:
    try:
        path = photos.private_path(relative)
        handle = path.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@access.require(Perm.TRIAGE_ROAD_REPORTS)
def photo(request: HttpRequest, pk: int, variant: str) -> HttpResponseBase:
    """Staff see the EXIF-free, orientation-corrected copy (never the original)."""
    item = get_object_or_404(ReportPhoto, pk=pk, state=ReportPhoto.State.READY)
    relative = item.thumb_path if variant == "thumb" else item.display_path
    if variant not in ("thumb", "full") or not relative:
        raise Http404
    response = _file(relative)
    response["Cache-Control"] = "private, no-store"
    return response


@access.require(Perm.TRIAGE_ROAD_REPORTS)
@require_POST
def photo_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ReportPhoto, pk=pk)
    op = request.POST.get("op", "")
    ctx = AuditContext.from_request(request)
    try:
        if op in ("hide", "show"):
            services.photo_update(photo=item, ctx=ctx, hidden=op == "hide")
        elif op in ("publish", "unpublish"):
            services.photo_update(photo=item, ctx=ctx, publishable=op == "publish")
        elif op == "clear":
            services.photo_update(photo=item, ctx=ctx, clear_redactions=True)
        elif op == "redact":
            form = forms.RedactForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("塗りつぶす範囲を正しく入力してください。"))
            d = form.cleaned_data
            services.photo_update(photo=item, ctx=ctx, redaction=[d["x"] / 100, d["y"] / 100, d["w"] / 100, d["h"] / 100])
        messages.success(request, _("写真の設定を変更しました。"))
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(item.report_id) if item.report_id else redirect("roads:queue")


@access.require(access.PUBLIC)
def public_photo(request: HttpRequest, token: str, variant: str) -> HttpResponseBase:
    """A staff-approved, EXIF-free photo behind an unguessable token (LINE fetches after-photos
    from here; Open311 media_url points here). Nothing else is reachable this way."""
    item = ReportPhoto.objects.filter(public_token=token).select_related("report").first()
    if item is None or not item.is_public or variant not in ("full", "thumb"):
        raise Http404
    if item.kind == ReportPhoto.Kind.RESIDENT and (item.report is None or not selectors.open311_visible(item.report)):
        raise Http404  # a resident's photo is public only with its published report
    response = _file(item.thumb_path if variant == "thumb" else item.display_path)
    # Private and brief: no shared cache keeps a photo after staff hide or unpublish it
    # (which also rotates the token), and a browser re-checks within a minute.
    response["Cache-Control"] = "private, max-age=60"
    return response


@access.require(Perm.TRIAGE_ROAD_REPORTS)
def areas_geojson(request: HttpRequest) -> HttpResponse:
    """The areas' boundaries and names (the maps' base layer without a tile server)."""
    from portal.line import selectors as line_selectors

    return JsonResponse(line_selectors.area_boundaries_geojson(), json_dumps_params={"ensure_ascii": False})


# -- statistics ----------------------------------------------------------------------
@access.require(Perm.TRIAGE_ROAD_REPORTS)
def stats(request: HttpRequest) -> HttpResponse:
    return render(request, "roads/stats.html", {"stats": selectors.statistics()})


# -- settings: categories, teams, templates (road staff and admins), API keys (admins) --
SETTINGS_PERMISSION = (Perm.TRIAGE_ROAD_REPORTS, Perm.MANAGE_SETTINGS)
SETTINGS_KINDS: dict[str, tuple[Any, Any, Any, list[str]]] = {
    "categories": (Category, forms.CategoryForm, gettext_lazy("通報種別"), ["name", "team", "emergency_phone", "is_active"]),
    "teams": (Team, forms.TeamForm, gettext_lazy("担当班"), ["code", "name", "is_active"]),
    "templates": (
        ResponseTemplate,
        forms.ResponseTemplateForm,
        gettext_lazy("返信テンプレート"),
        ["name", "status", "category", "is_active"],
    ),
}


def _cell(obj: models.Model, column: str) -> object:
    """A settings table cell as a clerk reads it (「有効」, not 「True」)."""
    if hasattr(obj, f"get_{column}_display"):
        return getattr(obj, f"get_{column}_display")()
    value = getattr(obj, column)
    if isinstance(value, bool):
        if column == "is_active":
            return _("有効") if value else _("無効")
        return _("はい") if value else _("いいえ")
    if value is None:
        return _("（すべて）") if column == "category" else ""
    return value


@access.require(SETTINGS_PERMISSION)
def settings_home(request: HttpRequest) -> HttpResponse:
    return redirect("roads:settings", kind="categories")


@access.require(SETTINGS_PERMISSION)
def settings_list(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in SETTINGS_KINDS:
        raise Http404
    model, form_class, title, columns = SETTINGS_KINDS[kind]
    form = form_class(request.POST or None)
    if form_saved(request, form, lambda ctx: services.settings_save(form=form, ctx=ctx), success=_("追加しました。")):
        return redirect("roads:settings", kind=kind)
    related = [c for c in columns if model._meta.get_field(c).is_relation]  # one query, not one per row
    rows = [(obj.pk, [_cell(obj, c) for c in columns]) for obj in model.objects.select_related(*related)]
    headers = [getattr(model._meta.get_field(c), "verbose_name", c) for c in columns]
    return render(
        request,
        "roads/settings_list.html",
        {"kind": kind, "title": title, "rows": rows, "headers": headers, "form": form, "kinds": SETTINGS_KINDS},
    )


@access.require(SETTINGS_PERMISSION)
def settings_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in SETTINGS_KINDS:
        raise Http404
    model, form_class, title, _columns = SETTINGS_KINDS[kind]
    obj = get_object_or_404(model, pk=pk)
    form = form_class(request.POST or None, instance=obj)
    if form_saved(request, form, lambda ctx: services.settings_save(form=form, ctx=ctx), success=_("保存しました。")):
        return redirect("roads:settings", kind=kind)
    return render(request, "roads/settings_edit.html", {"kind": kind, "title": title, "form": form, "obj": obj})


@access.require(Perm.MANAGE_SETTINGS)
def api_keys(request: HttpRequest) -> HttpResponse:
    form = forms.ApiKeyForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        _key, raw = services.api_key_issue(name=form.cleaned_data["name"], ctx=AuditContext.from_request(request))
        form = forms.ApiKeyForm()
    return render(request, "roads/api_keys.html", {"form": form, "keys": ApiKey.objects.all(), "raw_key": raw})


@access.require(Perm.MANAGE_SETTINGS)
@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=pk)
    services.api_key_revoke(key=key, ctx=AuditContext.from_request(request))
    messages.success(request, _("APIキーを無効にしました。"))
    return redirect("roads:api_keys")
