from django.urls import URLPattern, URLResolver, path

from integrations import registry, views
from integrations.plugin_urls import default_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    # Connecting a tracker (auth/login/, auth/complete/): integrations/auth_urls.py.
    path("account/identities/", views.identity_list, name="identities"),
    path("account/identities/disconnect/", views.identity_disconnect, name="identity_disconnect"),
]
for plugin in registry.plugins():
    urlpatterns += default_urlpatterns(plugin)
