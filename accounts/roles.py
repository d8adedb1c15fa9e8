"""Staff roles and the capabilities (permissions) each one grants.

Roles are Django groups kept as ROLE_CAPABILITIES lists them after every migrate (and flush)
by ``accounts.services.roles_ensure`` on post_migrate; their codes are stable identifiers,
their labels are shown in Japanese.
"""

from django.utils.translation import gettext_lazy as _

from portal.labels import Labels


class Perm:
    """Permission strings, as views declare them (``portal.access``)."""

    MANAGE_STAFF = "accounts.manage_staff"
    MANAGE_SETTINGS = "accounts.manage_settings"
    VIEW_AUDIT_LOG = "accounts.view_audit_log"
    LOOKUP_RESIDENT = "accounts.lookup_resident"
    VIEW_AUDIENCE = "accounts.view_audience"
    COMPOSE_BROADCAST = "accounts.compose_broadcast"
    APPROVE_BROADCAST = "accounts.approve_broadcast"
    VIEW_BROADCASTS = "accounts.view_broadcasts"
    TRIAGE_ROAD_REPORTS = "accounts.triage_road_reports"
    REVIEW_BULKY_BOOKINGS = "accounts.review_bulky_bookings"
    MANAGE_BULKY_CATALOGUE = "accounts.manage_bulky_catalogue"
    MANAGE_FAQ = "accounts.manage_faq"
    MANAGE_GOMI = "accounts.manage_gomi"
    VIEW_QUESTIONS = "accounts.view_questions"
    HANDLE_INQUIRIES = "accounts.handle_inquiries"
    VIEW_INQUIRIES = "accounts.view_inquiries"


# (codename, label) for Meta.permissions on accounts.Capability.
CAPABILITIES = [
    ("manage_staff", "職員・ロールの管理"),
    ("manage_settings", "システム設定の管理"),
    ("view_audit_log", "監査ログの閲覧"),
    ("lookup_resident", "住民の個別照会"),
    ("view_audience", "配信対象者数の閲覧"),
    ("compose_broadcast", "配信の作成"),
    ("approve_broadcast", "配信の承認"),
    ("view_broadcasts", "配信履歴の閲覧"),
    ("triage_road_reports", "道路損傷通報の対応"),
    ("review_bulky_bookings", "粗大ごみ申込の審査"),
    ("manage_bulky_catalogue", "粗大ごみ品目・収集日の設定"),
    ("manage_faq", "よくある質問（Q&A）の編集・公開"),
    ("manage_gomi", "ごみ分別辞書の管理"),
    ("view_questions", "よくある質問・ごみ分別辞書の閲覧"),
    ("handle_inquiries", "LINEの問い合わせへの職員対応"),
    ("view_inquiries", "LINEの問い合わせの閲覧"),
]

ROLE_LABELS = Labels()
ADMIN = ROLE_LABELS.add("admin", _("システム管理者"))
PR_AUTHOR = ROLE_LABELS.add("pr_author", _("広報担当"))
PR_APPROVER = ROLE_LABELS.add("pr_approver", _("広報承認者"))
ROAD = ROLE_LABELS.add("road", _("道路維持担当"))
WASTE = ROLE_LABELS.add("waste", _("廃棄物担当"))
AUDITOR = ROLE_LABELS.add("auditor", _("監査担当"))

# Role code -> capability codenames. A change takes effect at the next migrate (post_migrate
# sync); a new capability above also needs its migration (makemigrations: Capability's options).
ROLE_CAPABILITIES = {
    ADMIN: [
        "manage_staff",
        "manage_settings",
        "view_audit_log",
        "lookup_resident",
        "view_audience",
        "view_broadcasts",
        "manage_bulky_catalogue",
        "view_questions",
    ],
    PR_AUTHOR: ["compose_broadcast", "view_broadcasts", "view_audience", "manage_faq", "view_questions", "handle_inquiries"],
    PR_APPROVER: ["approve_broadcast", "view_broadcasts", "view_audience", "view_questions"],
    ROAD: ["triage_road_reports", "handle_inquiries"],
    WASTE: ["review_bulky_bookings", "manage_bulky_catalogue", "manage_gomi", "view_questions", "handle_inquiries"],
    AUDITOR: ["view_audit_log", "view_broadcasts", "view_questions", "view_inquiries"],
}

ROLE_ORDER = [ADMIN, PR_AUTHOR, PR_APPROVER, ROAD, WASTE, AUDITOR]


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))
