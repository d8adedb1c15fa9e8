"""Audit action names of rich menus (labels registered from RichMenusConfig.ready())."""

from django.utils.translation import gettext_lazy as _

CREATED = "richmenu.created"
EDITED = "richmenu.edited"
REGISTERED = "richmenu.registered"
DEFAULT_SET = "richmenu.default_set"
DISASTER_SET = "richmenu.disaster_set"
DISASTER_UNSET = "richmenu.disaster_unset"
DELETED = "richmenu.deleted"
SEGMENT_LINKED = "richmenu.segment_linked"
SEGMENT_UNLINKED = "richmenu.segment_unlinked"
DISASTER_ON = "richmenu.disaster_mode_on"
DISASTER_OFF = "richmenu.disaster_mode_off"
SWITCH_DONE = "richmenu.disaster_switch_done"

LABELS = {
    CREATED: _("リッチメニューの作成"),
    EDITED: _("リッチメニューの編集"),
    REGISTERED: _("リッチメニューのLINE登録"),
    DEFAULT_SET: _("既定のリッチメニューの設定"),
    DISASTER_SET: _("災害時用リッチメニューの指定"),
    DISASTER_UNSET: _("災害時用リッチメニューの指定解除"),
    DELETED: _("リッチメニューの削除"),
    SEGMENT_LINKED: _("セグメントへのリッチメニューの表示"),
    SEGMENT_UNLINKED: _("セグメント別リッチメニューの解除"),
    DISASTER_ON: _("災害時モードへの切り替え"),
    DISASTER_OFF: _("通常モードへの切り替え"),
    SWITCH_DONE: _("リッチメニューの切り替え完了"),
}
