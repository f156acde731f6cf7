from django.contrib.auth.decorators import login_required
from django.urls import path
from social_django import views as social_views

from integrations import registry, views
from integrations.plugin_urls import default_urlpatterns

urlpatterns = [
    # Connecting a tracker links an identity to a logged-in person; anonymous people log in first.
    path("auth/login/<str:backend>/", login_required(social_views.auth)),
    path("auth/complete/<str:backend>/", login_required(social_views.complete)),
    path("account/identities/", views.identity_list, name="identities"),
    path("account/identities/disconnect/", views.identity_disconnect, name="identity_disconnect"),
]
for plugin in registry.plugins():
    urlpatterns += default_urlpatterns(plugin)
