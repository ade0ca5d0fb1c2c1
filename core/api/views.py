from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt


# An unknown URL has no state to protect: without the exemption the CSRF
# middleware answers a POST (or PUT, PATCH, DELETE) with its HTML 403 page
# before the API could say that nothing lives there.
@csrf_exempt
def not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
