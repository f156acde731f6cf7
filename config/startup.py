"""What a serving process does once Django has started: keep its startup objects out of the
garbage collector's full collections.

A full collection walks every object the process tracks: about 135,000 once Django, the
URLconf and the views are loaded (functions, classes, modules, the ORM's and the URL
resolver's structures), which took 37 ms on the benchmark machine. One in every few hundred
requests paid for it: at 1,000,000 issues, the list's one slow request of 20 (60 ms against 13)
was a 42 ms collection. Those objects live as long as the process, so gc.freeze() moves them
out of the collector's sight; a full collection then walks only what requests have made since
(2 ms). With gunicorn's --preload it also keeps them from being copied into each worker.
"""

from __future__ import annotations

import gc

from django.urls import get_resolver


def freeze_startup_objects() -> None:
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module now
    gc.collect()  # startup's garbage is freed, not frozen
    gc.freeze()
