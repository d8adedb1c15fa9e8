"""URLs of broadcasts (every view declares its permission: portal.access)."""

app_name = "broadcasts"
urlpatterns: list = []
