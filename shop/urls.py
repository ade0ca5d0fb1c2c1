"""Shop URLs: each views module owns its `urlpatterns`."""

from __future__ import annotations

from shop.views import account as account_views
from shop.views import catalog as catalog_views
from shop.views import checkout as checkout_views

app_name = "shop"

urlpatterns = [
    *catalog_views.urlpatterns,
    *checkout_views.urlpatterns,
    *account_views.urlpatterns,
]
