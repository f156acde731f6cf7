from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("ingest.urls")),
    path("accounts/", include("tracker.account_urls")),
    path("", include("integrations.urls")),
    path("hooks/asana/", include("integrations.asana.urls")),
    # Only connect and callback: social_django.urls would also mount a disconnect that skips
    # revoking the grant at Asana.
    path("auth/", include("integrations.auth_urls", namespace="social")),
    path("", include("tracker.urls")),
]
