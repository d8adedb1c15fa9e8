"""URLs of portal.line (every view declares its permission: portal.access)."""

app_name = "line"
urlpatterns: list = []
