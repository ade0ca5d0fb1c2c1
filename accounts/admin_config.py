from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class KampungAdminConfig(AdminConfig):
    """The Django admin, behind allauth's login and two-factor authentication
    (accounts.admin_site)."""

    default_site = "accounts.admin_site.KampungAdminSite"
