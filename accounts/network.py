"""Who is on the other end: the client's IP address behind trusted proxies.

One rule for every limiter (allauth's rate limits, django-axes, the API
throttle, the shop's own limits): with KAMPUNG_TRUSTED_PROXIES = N, the
address is the Nth entry from the right of X-Forwarded-For (each trusted
proxy appends the address it saw, so entries further left are the client's
own claims and can be forged); with N = 0, REMOTE_ADDR. DRF's NUM_PROXIES
and allauth's ALLAUTH_TRUSTED_PROXY_COUNT read the same way."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client's address, or REMOTE_ADDR when the forwarded one is absent
    or not an address. Also AXES_CLIENT_IP_CALLABLE."""
    remote_addr = request.META.get("REMOTE_ADDR", "") or ""
    trusted = getattr(settings, "KAMPUNG_TRUSTED_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if trusted <= 0 or not forwarded:
        return remote_addr
    hops = [hop.strip() for hop in forwarded.split(",")]
    candidate = hops[-min(trusted, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr
