"""URLs of intake.bulky (every view declares its permission: portal.access)."""

app_name = "bulky"
urlpatterns: list = []
