"""Audit actions of the LINE layer (registered from LineConfig.ready())."""

from django.utils.translation import gettext_lazy as _

AUDIT_RESIDENT_LOOKUP = "line.resident_lookup"
AUDIT_SETTINGS_CHANGED = "line.settings_changed"
AUDIT_DIMENSION_CHANGED = "line.dimension_changed"

ACTIONS = {
    AUDIT_RESIDENT_LOOKUP: _("住民の個別照会"),
    AUDIT_SETTINGS_CHANGED: _("LINE連携の設定変更"),
    AUDIT_DIMENSION_CHANGED: _("受信設定の属性の変更"),
}
