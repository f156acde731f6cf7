from django.urls import include, path

from integrations import views

urlpatterns = [
    # Connecting Asana (auth/login/, auth/complete/): integrations/auth_urls.py.
    path("account/identities/", views.identity_list, name="identities"),
    path("account/identities/disconnect/", views.identity_disconnect, name="identity_disconnect"),
    path("", include("integrations.asana.urls")),
]
