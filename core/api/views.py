from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _


def not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
