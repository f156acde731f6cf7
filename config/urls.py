from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("ingest.urls")),
    path("accounts/", include("tracker.account_urls")),
    # Before social_django's own routes: Tasklink's wrappers require a logged-in person.
    path("", include("integrations.urls")),
    path("auth/", include("social_django.urls", namespace="social")),
    path("", include("tracker.urls")),
]
