"""App config for the portal shell (health, navigation, dashboard)."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm

from .contributions import PortalAppConfig
from .navigation import NavItem


class PortalConfig(PortalAppConfig):
    name = "portal"
    verbose_name = _("ポータル")
    nav = (
        NavItem(label=_("ダッシュボード"), url_name="dashboard", permission=None, order=0),
        NavItem(label=_("保存期間"), url_name="retention", permission=Perm.VIEW_AUDIT_LOG, order=915),
    )
    audit_labels = ".retention.AUDIT_LABELS"

    def ready(self) -> None:
        from .security import refuse_insecure_settings

        # Before anything else: web, manage.py, worker and beat all stop here (fail closed).
        refuse_insecure_settings()
        # Records the sign-in time (user_logged_in) for the session time-outs.
        import portal.session_timeout  # noqa: F401

        super().ready()
        from . import beat

        beat.collect()
        _create_local_folders()


def _create_local_folders() -> None:
    """The folders the embedded defaults write to (the SQLite file's, collected static files,
    the filesystem broker's), created when a process starts rather than when settings load."""
    from django.conf import settings

    folders = [Path(settings.STATIC_ROOT)]
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folders += [Path(name).parent for name in (database["NAME"], database.get("TEST", {}).get("NAME")) if name]
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    folders += [
        Path(options[key])
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
        if key in options
    ]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
