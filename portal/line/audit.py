"""Audit actions of the LINE layer (registered from LineConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from portal.labels import Labels

ACTIONS = Labels()
AUDIT_RESIDENT_LOOKUP = ACTIONS.add("line.resident_lookup", _("住民の個別照会"))
AUDIT_SETTINGS_CHANGED = ACTIONS.add("line.settings_changed", _("LINE連携の設定変更"))
AUDIT_DIMENSION_CHANGED = ACTIONS.add("line.dimension_changed", _("受信設定の属性の変更"))
