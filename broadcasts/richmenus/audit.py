"""Audit action names of rich menus (labels registered from RichMenusConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from portal.labels import Labels

LABELS = Labels()
CREATED = LABELS.add("richmenu.created", _("リッチメニューの作成"))
EDITED = LABELS.add("richmenu.edited", _("リッチメニューの編集"))
REGISTERED = LABELS.add("richmenu.registered", _("リッチメニューのLINE登録"))
DEFAULT_SET = LABELS.add("richmenu.default_set", _("既定のリッチメニューの設定"))
DISASTER_SET = LABELS.add("richmenu.disaster_set", _("災害時用リッチメニューの指定"))
DISASTER_UNSET = LABELS.add("richmenu.disaster_unset", _("災害時用リッチメニューの指定解除"))
DELETED = LABELS.add("richmenu.deleted", _("リッチメニューの削除"))
SEGMENT_LINKED = LABELS.add("richmenu.segment_linked", _("セグメントへのリッチメニューの表示"))
SEGMENT_UNLINKED = LABELS.add("richmenu.segment_unlinked", _("セグメント別リッチメニューの解除"))
DISASTER_ON = LABELS.add("richmenu.disaster_mode_on", _("災害時モードへの切り替え"))
DISASTER_OFF = LABELS.add("richmenu.disaster_mode_off", _("通常モードへの切り替え"))
SWITCH_DONE = LABELS.add("richmenu.disaster_switch_done", _("リッチメニューの切り替え完了"))
