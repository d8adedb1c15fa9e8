"""The reply templates the inbox starts with (staff change them in the Django admin)."""

from django.db import migrations

TEMPLATES = [
    (
        "電話・窓口へご案内（個人の事情）",
        "お問い合わせありがとうございます。LINEでは個人情報や機微な相談は受け付けていません。"
        "ご事情に沿ってご案内しますので、お手数ですが市役所 総合窓口（電話 092-000-0000、平日8時30分〜17時15分）へ"
        "お電話いただくか、本庁舎1階の総合窓口へお越しください。",
        True,
    ),
    (
        "窓口へご案内（手続き）",
        "お問い合わせありがとうございます。この手続きは本人確認が必要なため、LINEでは受け付けていません。"
        "本人確認書類をお持ちのうえ、本庁舎1階の総合窓口（平日8時30分〜17時15分）へお越しください。",
        True,
    ),
    (
        "個人情報を送らないでください",
        "ご連絡ありがとうございます。LINEでは個人情報や機微な相談は受け付けていません。"
        "お名前・住所・電話番号などは送らないでください。ご相談の内容は電話（092-000-0000）でお聞きします。",
        True,
    ),
    ("確認してご連絡します", "お問い合わせありがとうございます。担当課で確認し、このトークでお知らせします。少しお時間をください。", False),
    ("対応が終わりました", "お問い合わせの件、対応が終わりました。ご連絡ありがとうございました。", False),
]


def create(apps, schema_editor):  # noqa: ANN001, ANN201
    ReplyTemplate = apps.get_model("inbox", "ReplyTemplate")
    for order, (title, text, offline) in enumerate(TEMPLATES):
        ReplyTemplate.objects.get_or_create(title=title, defaults={"text": text, "moves_offline": offline, "order": order})


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
