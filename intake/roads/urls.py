"""URLs of intake.roads (every view declares its permission: portal.access)."""

app_name = "roads"
urlpatterns: list = []
