"""Codes declared once with their label: audit actions, roles (``ADMIN = ROLE_LABELS.add("admin", _("システム管理者"))``)."""

from django.utils.functional import Promise


class Labels(dict[str, str | Promise]):
    """A dict of code → label that hands the code back as it is added, so a module's
    constant and its label are one line: ``CREATED = LABELS.add("broadcast.created", _("配信の作成"))``."""

    def add(self, code: str, label: str | Promise) -> str:
        if code in self:
            raise ValueError(f"{code!r} is declared twice")
        self[code] = label
        return code
