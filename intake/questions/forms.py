"""Forms of the staff pages (entry edit, filters, 試してみる, CSV files)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import csvio
from .models import LANGUAGES, FaqEntry

# The genres the demo base uses (staff may type another).
SUGGESTED_CATEGORIES = [
    "ゴミ・リサイクル",
    "子育て",
    "証明書",
    "住民票",
    "国保年金",
    "引っ越し",
    "税金",
    "窓口の受付時間",
    "観光",
]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class LinesField(forms.CharField):
    """One item per line (variants, keywords, quick replies)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)
        items = _lines(text)
        if any(csvio.LIST_SEPARATOR in item for item in items):
            raise forms.ValidationError(_("「|」は使えません（CSVの区切りに使います）。"))
        return items


class EntryForm(forms.Form):
    question = forms.CharField(label=_("問い合わせ文"), max_length=csvio.MAX_QUESTION, help_text=_("住民が尋ねる形で書きます。"))
    variants = LinesField(
        label=_("言い換え"), required=False, help_text=_("同じことを尋ねる別の言い方。1行に1つ。"), max_length=4000
    )
    keywords = LinesField(
        label=_("キーワード"),
        required=False,
        help_text=_("この言葉を含む質問にはこの項目で答えます。他の項目と重ならない言葉を1行に1つ。"),
        max_length=2000,
    )
    answer = forms.CharField(
        label=_("応答文"),
        max_length=csvio.MAX_ANSWER,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("チャットが答える文章。"),
    )
    link = forms.CharField(
        label=_("リンク"),
        max_length=csvio.MAX_LINK,
        required=False,
        help_text=_("任意。https:// で始まるアドレス、またはポータル内のパス（/ で始まる）。"),
    )
    quick_replies = LinesField(
        label=_("クイックリプライ"),
        required=False,
        help_text=_("回答の後に出すボタン（押すとその言葉を送ります）。1行に1つ、20字まで、9個まで。"),
        max_length=400,
    )
    category = forms.CharField(label=_("カテゴリ"), max_length=csvio.MAX_CATEGORY, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].widget.attrs["list"] = "category-choices"
        for code, name in LANGUAGES:
            self.fields[f"{code}_question"] = forms.CharField(
                label=_("%(language)s：問い合わせ文") % {"language": name}, max_length=csvio.MAX_QUESTION, required=False
            )
            self.fields[f"{code}_answer"] = forms.CharField(
                label=_("%(language)s：応答文") % {"language": name},
                max_length=csvio.MAX_ANSWER,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @classmethod
    def for_entry(cls, entry: FaqEntry | None, data: Any = None) -> EntryForm:
        initial: dict[str, Any] = {}
        if entry is not None:
            initial = {name: getattr(entry, name) for name in FaqEntry.CONTENT_FIELDS if name != "translations"}
            for code, t in (entry.translations or {}).items():
                initial[f"{code}_question"] = t.get("question", "")
                initial[f"{code}_answer"] = t.get("answer", "")
        return cls(data, initial=initial)

    def translation_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(name, self[f"{code}_question"], self[f"{code}_answer"]) for code, name in LANGUAGES]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("question", "variants", "keywords", "answer", "link", "quick_replies", "category")]

    def clean_link(self) -> str:
        link = self.cleaned_data["link"].strip()
        if link and not csvio.link_is_valid(link):
            raise forms.ValidationError(_("https:// または / で始まるアドレスにしてください。"))
        return link

    def clean_quick_replies(self) -> list[str]:
        labels = self.cleaned_data["quick_replies"]
        problems = csvio.quick_reply_problems(labels)
        if problems:
            raise forms.ValidationError(problems)
        return labels

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {
            name: data[name] for name in ("question", "variants", "keywords", "answer", "link", "quick_replies", "category")
        }
        values["translations"] = {
            code: {"question": data[f"{code}_question"], "answer": data[f"{code}_answer"]}
            for code, _name in LANGUAGES
            if data.get(f"{code}_question") or data.get(f"{code}_answer")
        }
        return values


class EntryFilterForm(forms.Form):
    q = forms.CharField(label=_("検索"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("カテゴリ"), required=False)
    status = forms.ChoiceField(label=_("状態"), required=False, choices=[("", _("すべて")), *FaqEntry.Status.choices])

    def __init__(self, *args: Any, categories: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("すべて")), *((c, c) for c in categories)]


TRY_LANGUAGES = [("", _("自動で判定")), ("ja", "日本語"), *LANGUAGES]


class TryForm(forms.Form):
    text = forms.CharField(label=_("住民のメッセージ"), max_length=200, help_text=_("住民が送る言葉で入力します（200字まで）。"))
    language = forms.ChoiceField(label=_("言語"), required=False, choices=TRY_LANGUAGES)


class FaqImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSVファイル"), help_text=_("1行目が見出し（ID,問い合わせ文,応答文,カテゴリ …）。UTF-8またはShift_JIS。")
    )
    replace = forms.BooleanField(
        label=_("CSVにない項目を取り下げる"),
        required=False,
        help_text=_("チェックすると、ファイルに載っていない項目は次の公開でチャットが答えなくなります。"),
    )


class GomiImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSVファイル"),
        help_text=_("5374.jp形式（種別,品目,注意,ふりがな）。取り込むと辞書全体がこのファイルの内容に置き換わります。"),
    )


class GomiFilterForm(forms.Form):
    q = forms.CharField(label=_("検索"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("種別"), required=False)

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("すべて")), *((k, k) for k in kinds)]
