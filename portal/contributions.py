"""What an app adds to the portal, declared once on its AppConfig: navigation entries,
dashboard cards and banners, demo loaders, audit labels, chat flows and answerers, rich-menu
postbacks, residents' segment listeners and retention stores. ``PortalAppConfig.ready()``
registers them with their registries (portal.navigation, portal.demo, accounts.audit,
portal.line.chat, portal.line.richmenus, portal.line.residents, portal.retention), the same
way for every app. Beat jobs are declared in ``<app>/beat.py`` (portal.beat).

An app's module is imported before its models load, so whatever needs them is named by a
dotted path, imported in ``ready()``; a leading dot is the app's own package
(``".dashboard.cards"`` in intake.bulky is ``intake.bulky.dashboard.cards``)::

    class BulkyConfig(PortalAppConfig):
        name = "intake.bulky"
        label = "bulky"
        verbose_name = _("粗大ごみ収集")
        nav = (NavItem(_("粗大ごみ申込"), "bulky:queue", Perm.REVIEW_BULKY_BOOKINGS, order=60),)
        dashboard = (Card(Perm.REVIEW_BULKY_BOOKINGS, ".dashboard.cards"),)
        demo = (Demo(60, "bulky", ".demo.load_demo"),)
        audit_labels = ".audit.LABELS"
        chat_flows = (Flow(".chat.BulkyFlow", priority=50),)
        retention = ".retention.STORES"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.apps import AppConfig
from django.utils.module_loading import import_string

from .navigation import NavItem

if TYPE_CHECKING:
    from .access import Permission


@dataclass(frozen=True)
class Card:
    """Dashboard cards: ``provider(user)`` returns them, shown to staff with ``permission``."""

    permission: Permission | None
    provider: str


@dataclass(frozen=True)
class Demo:
    """A demo loader, run by ``manage.py demo_setup`` in ``order`` (imported only then)."""

    order: int
    name: str
    loader: str


@dataclass(frozen=True)
class Flow:
    """A chat flow (its class; lower ``priority`` is asked first)."""

    flow: str
    priority: int = 100


@dataclass(frozen=True)
class Answerer:
    """What answers a message no flow expects (lower ``priority`` first); ``warm_up``: a
    callable that loads what it answers from (run by a chat worker before it forks)."""

    name: str
    answerer: str
    priority: int = 100
    warm_up: str = ""


@dataclass(frozen=True)
class Postback:
    """A postback the app's chat flow answers, offered to rich menus."""

    key: str
    label: Any
    data: str
    display_text: Any = ""


class PortalAppConfig(AppConfig):
    """An app of the portal: ``ready()`` registers what its class declares."""

    nav: ClassVar[Sequence[NavItem]] = ()
    dashboard: ClassVar[Sequence[Card]] = ()
    banners: ClassVar[Sequence[str]] = ()  # providers of portal.navigation.Banner
    demo: ClassVar[Sequence[Demo]] = ()
    audit_labels: ClassVar[str] = ""  # a mapping of audit action code → label
    audit_targets: ClassVar[Mapping[str, Any]] = {}  # ``app_label.model`` → what an entry's 対象 is
    chat_flows: ClassVar[Sequence[Flow]] = ()
    answerers: ClassVar[Sequence[Answerer]] = ()
    postbacks: ClassVar[Sequence[Postback]] = ()
    segment_listeners: ClassVar[Sequence[str]] = ()  # portal.line.residents.SegmentListener callables
    retention: ClassVar[str] = ""  # a sequence of portal.retention.Store

    def absolute(self, path: str) -> str:
        """``path`` in full (a leading dot: in this app's package)."""
        return self.name + path if path.startswith(".") else path

    def named(self, path: str) -> Any:
        return import_string(self.absolute(path))

    def ready(self) -> None:
        from accounts.audit import register_actions, register_target_types
        from portal import demo, navigation, retention

        navigation.register(*self.nav)
        for card in self.dashboard:
            navigation.register_dashboard(card.permission, self.named(card.provider))
        for banner in self.banners:
            navigation.register_banner(self.named(banner))
        for loader in self.demo:
            demo.register(loader.order, loader.name, self.absolute(loader.loader))
        if self.audit_labels:
            register_actions(self.named(self.audit_labels))
        register_target_types(self.audit_targets)
        if self.chat_flows or self.answerers or self.postbacks:
            self._register_chat()
        if self.segment_listeners:
            from portal.line import residents

            for listener in self.segment_listeners:
                residents.register_segment_listener(self.named(listener))
        for store in self.named(self.retention) if self.retention else ():
            retention.register(store)

    def _register_chat(self) -> None:
        from portal.line import chat, richmenus

        for flow in self.chat_flows:
            chat.register_flow(self.named(flow.flow)(), priority=flow.priority)
        for answerer in self.answerers:
            chat.register_answerer(
                answerer.name,
                self.named(answerer.answerer),
                priority=answerer.priority,
                warm_up=self.named(answerer.warm_up) if answerer.warm_up else None,
            )
        for postback in self.postbacks:
            richmenus.register_postback(
                key=postback.key, label=postback.label, data=postback.data, display_text=postback.display_text
            )
