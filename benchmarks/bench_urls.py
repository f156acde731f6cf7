"""The product's URLs plus two pages to compare the product's pages with.

/_bench/bare/     base.html rendered with no database query at all;
/_bench/session/  base.html for the logged-in person: the session and the user (from the cache
                  in production; 2 queries on a cold cache).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns

# A person who is never saved: the header renders as for a logged-in person, without the
# session and user queries (the context given to render() wins over the context processors).
_PERSON = get_user_model()(username="bench", email="bench@example.com")


def bare(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html", {"user": _PERSON, "messages": []})


def session(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


urlpatterns = [
    path("_bench/bare/", bare, name="bench_bare"),
    path("_bench/session/", session, name="bench_session"),
    *product_urlpatterns,
]
