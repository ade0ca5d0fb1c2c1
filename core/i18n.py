"""The languages the site ships, for code that writes one value per language."""

from django.conf import settings


def translated_languages() -> list[str]:
    """Language codes of settings.LANGUAGES, the default language first."""
    codes = [code for code, _name in settings.LANGUAGES]
    default = settings.LANGUAGE_CODE
    return sorted(codes, key=lambda code: code != default)
