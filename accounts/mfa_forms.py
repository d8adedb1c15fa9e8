"""allauth's TOTP code forms, saying why a correct code was refused when it was already used.

A TOTP code signs in once (allauth remembers it for its 30-second period), so a second
sign-in within the same period with the same code fails. allauth answers 「コードが正しく
ありません」 for that too; staff then retype the same code. These forms tell them to wait for
the next code instead. Settings: ``MFA_FORMS``.
"""

from __future__ import annotations

from allauth.mfa import app_settings
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import validate_totp_code
from allauth.mfa.utils import decrypt
from django import forms
from django.utils.translation import gettext_lazy as _

REUSED = _(
    "このコードはすでに使われています。同じコードで続けてサインインすることはできません。"
    "認証アプリのコードが次に切り替わる（%(seconds)s秒ごと）のを待って、新しいコードを入力してください。"
)


class _ExplainsReusedCode:
    def clean_code(self) -> str:
        try:
            return super().clean_code()  # type: ignore[misc]
        except forms.ValidationError:
            code = (self.cleaned_data.get("code") or "").strip()  # type: ignore[attr-defined]
            if code and self._is_current_code(code):
                raise forms.ValidationError(REUSED % {"seconds": app_settings.TOTP_PERIOD}, code="reused_code") from None
            raise

    def _is_current_code(self, code: str) -> bool:
        """Right for this moment, so refused only because it was already used."""
        authenticator = Authenticator.objects.filter(user=self.user, type=Authenticator.Type.TOTP).first()  # type: ignore[attr-defined]
        if authenticator is None:
            return False
        return validate_totp_code(decrypt(authenticator.data["secret"]), code)


class StaffAuthenticateForm(_ExplainsReusedCode, AuthenticateForm):
    pass


class StaffReauthenticateForm(_ExplainsReusedCode, ReauthenticateForm):
    pass
