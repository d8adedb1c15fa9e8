"""Open311 GeoReport v2 URLs (every view declares its permission: portal.access)."""

app_name = "open311"
urlpatterns: list = []
