"""Input serializers that accept exactly what /api/schema/ says they accept.

DRF is lenient where the schema is not: an IntegerField takes "5", a
CharField takes 5, a BooleanField takes 0 or "yes", a CharField measures its
length after trimming and a RegexField's `$` lets a trailing newline in. A
partner validating requests against the schema must get the same answers
as the API, so API input serializers refuse what the schema refuses:

- in a JSON body, a value of the wrong JSON type (400, code `invalid`);
- in a query string or form, a boolean other than `true`/`false`, an
  integer that is not digits, or an empty value for a field that may not
  be blank;
- a string longer than `max_length` before trimming.

The schema side (core.api.schema.postprocess) gives every trimmed,
non-blank string a pattern that needs one non-space character.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.validators import RegexValidator
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

FORM_BOOLEANS = {"true": True, "false": False}
_DIGITS = re.compile(r"-?[0-9]+")


def _wrong_type(field: serializers.Field, value, *, form: bool) -> ErrorDetail | None:
    """Why `value` is not of the type the schema gives `field`, or None."""
    if value is None:
        return None  # DRF's own allow_null check answers
    if form:
        if value == "" and not getattr(field, "allow_blank", False):
            return ErrorDetail(_("This field may not be blank."), code="blank")
        if isinstance(field, serializers.BooleanField) and value not in FORM_BOOLEANS:
            return ErrorDetail(_("Must be true or false."), code="invalid")
        if isinstance(field, serializers.IntegerField) and not _DIGITS.fullmatch(value):
            return ErrorDetail(_("A valid integer is required."), code="invalid")
    elif isinstance(field, serializers.BooleanField):
        if not isinstance(value, bool):
            return ErrorDetail(_("Must be true or false."), code="invalid")
    elif isinstance(field, serializers.IntegerField):
        if isinstance(value, bool) or not isinstance(value, int):
            return ErrorDetail(_("A valid integer is required."), code="invalid")
    elif isinstance(field, serializers.CharField | serializers.ChoiceField) and not isinstance(
        value, str
    ):
        return ErrorDetail(_("Not a valid string."), code="invalid")
    max_length = getattr(field, "max_length", None)
    if isinstance(value, str) and max_length is not None and len(value) > max_length:
        return ErrorDetail(
            _("Ensure this field has no more than %(max)s characters.") % {"max": max_length},
            code="max_length",
        )
    return None


def _strict_errors(fields, data: Mapping) -> dict:
    form = isinstance(data, QueryDict)
    errors: dict = {}
    for name, field in fields.items():
        if field.read_only or name not in data:
            continue
        value = data.get(name)
        if isinstance(field, serializers.BaseSerializer):
            continue  # a strict serializer checks its own fields
        if isinstance(field, serializers.DictField) and isinstance(value, Mapping):
            children = {
                key: [message]
                for key, child in value.items()
                if (message := _wrong_type(field.child, child, form=form))
            }
            if children:
                errors[name] = children
        elif message := _wrong_type(field, value, form=form):
            errors[name] = [message]
    return errors


# The base of the API's input serializers (bodies and query strings). No
# docstring: drf-spectacular would show it as every component's description.
class StrictInputSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        strict = _strict_errors(self.fields, data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = (
                exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            )
            raise serializers.ValidationError({**detail, **strict}) from None
        if strict:
            raise serializers.ValidationError(strict)
        return value


class FullMatchValidator(RegexValidator):
    """Django's RegexValidator searches, so `^...$` still lets a trailing
    newline through; the schema's pattern (ECMA and Rust regexes) does not."""

    def __call__(self, value) -> None:
        if not self.regex.fullmatch(str(value)):
            raise serializers.ValidationError(self.message, code=self.code)


class PatternField(serializers.CharField):
    """A string that must match `pattern` as it was sent (no trimming)."""

    def __init__(self, pattern: str, *, message=None, **kwargs) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators.append(
            FullMatchValidator(
                re.compile(pattern),
                message=message or gettext_lazy("This value does not match the required pattern."),
            )
        )
