from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

_DIGITS = re.compile(r"[0-9]+")


class DefaultPagination(PageNumberPagination):
    """Page numbers from 1 and page sizes from 1 to `max_page_size`, as the
    schema says: anything else is a 400 (DRF's own pagination falls back to
    the default size in silence, which a client cannot tell from success).
    A page past the last one is a 404."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def _number(self, request, name: str, *, maximum: int | None = None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        if not _DIGITS.fullmatch(raw) or int(raw) < 1 or (maximum and int(raw) > maximum):
            message = (
                _("Send a whole number from 1 to %(max)s.") % {"max": maximum}
                if maximum
                else _("Send a whole number from 1.")
            )
            raise serializers.ValidationError({name: [message]}, code="invalid")
        return int(raw)

    def get_page_size(self, request) -> int:
        size = self._number(request, self.page_size_query_param, maximum=self.max_page_size)
        return size or self.page_size

    def get_page_number(self, request, paginator) -> int:
        return self._number(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": _("A page number, from 1. A page past the last one is a 404."),
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": _("Results per page (default %(default)s).")
                % {"default": self.page_size},
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
