"""The language a resident wrote in: the LINE layer's ``portal.line.language`` (re-exported
here so this app's code and tests keep their imports)."""

from portal.line.language import DEFAULT_LANGUAGE, LANGUAGES, detect_language

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "detect_language"]
