"""URLs of intake.bulky (every view declares its permission: portal.access)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from portal.workflow import api_urls, page_urls

from . import api, resident_views, views
from .workflow import WORKFLOW

app_name = "bulky"

router = SimpleRouter(use_regex_path=False)
router.register("items", api.ItemViewSet, basename="api-item")
router.register("bookings", api.BookingViewSet, basename="api-booking")

urlpatterns = [
    # Staff: review
    path("", views.queue, name="queue"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking"),
    # bookings/<pk>/approve/, reject/, reschedule/, collect/, cancel/, note/ (the booking table)
    *page_urls(WORKFLOW, prefix="bookings/<int:pk>/"),
    path("calendar/", views.calendar, name="calendar"),
    path("routes/", views.routes, name="routes"),
    path("routes.csv", views.routes_csv, name="routes-csv"),
    # Staff: set-up
    path("setup/", views.setup, name="setup"),
    path("setup/items/", views.items, name="items"),
    path("setup/items/new/", views.item_edit, name="item-new"),
    path("setup/items/<int:pk>/", views.item_edit, name="item-edit"),
    path("setup/areas/", views.areas, name="areas"),
    path("setup/areas/<int:pk>/", views.area_edit, name="area-edit"),
    path("setup/closures/", views.closures, name="closures"),
    path("setup/closures/<int:pk>/delete/", views.closure_delete, name="closure-delete"),
    # Residents (single-use signed link from the LINE chat)
    path("r/link/<str:token>/", resident_views.link, name="resident-link"),
    path("r/", resident_views.book, name="resident-book"),
    path("r/bookings/", resident_views.my_bookings, name="resident-bookings"),
    path("r/bookings/<int:pk>/", resident_views.booking_detail, name="resident-booking"),
    path("r/bookings/<int:pk>/cancel/", resident_views.booking_cancel, name="resident-booking-cancel"),
    # API
    path("api/availability/", api.AvailabilityView.as_view(), name="api-availability"),
    *api_urls(WORKFLOW, prefix="api/bookings/", schema=api.action_schema),
    path("api/", include(router.urls)),
]
