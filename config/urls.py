from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import mfa_views
from accounts import views as accounts_views
from core import views as core_views
from shop import sitemaps as shop_sitemaps
from shop.views import catalog as shop_catalog_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    # Django's set_language, also remembering a signed-in member's choice
    # (their emails are written in it); the rest of django.conf.urls.i18n.
    path("i18n/setlang/", accounts_views.set_language),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("robots.txt", shop_sitemaps.robots_txt, name="robots_txt"),
    path("sitemap.xml", shop_sitemaps.sitemap, name="sitemap"),
]

urlpatterns += i18n_patterns(
    path("", shop_catalog_views.home, name="home"),
    path("admin/", admin.site.urls),
    # allauth's TOTP activation and recovery codes, carrying `next` through
    # (accounts.mfa_views); the rest of allauth as it comes.
    path("accounts/2fa/totp/activate/", mfa_views.activate_totp, name="mfa_activate_totp"),
    path(
        "accounts/2fa/recovery-codes/",
        mfa_views.view_recovery_codes,
        name="mfa_view_recovery_codes",
    ),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("shop/", include("shop.urls")),
    path("community/", include("community.urls")),
    path("rewards/", include("loyalty.urls")),
    path("notifications/", include("core.notifications.urls")),
    prefix_default_language=False,
)

if settings.SERVE_MEDIA:
    # Uploaded media are re-encoded images (core.images), safe to serve from
    # the app; a shop behind a CDN or web server sets SERVE_MEDIA=false.
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
