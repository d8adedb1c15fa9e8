"""Staff management and audit log URLs (every view declares its permission)."""

app_name = "accounts"
urlpatterns: list = []
