"""Which issue an event belongs to, as Sentry groups (README, Ingestion, states the rule).

1. The event's `fingerprint`, where `{{ default }}` stands for the default grouping below.
2. Default: the exception chain's stack traces, each frame as module (or normalized file
   name) and function, in-app frames only when there are any; never line numbers or the
   exception's value, so the same crash with different messages is one issue. The chain's
   exception types count too.
3. Else the exceptions' type and value.
4. Else the message: the logentry template, not its formatted parameters.
The same input always gives the same hash.
"""

from __future__ import annotations

import hashlib
import re

HASH_IN_NAME = re.compile(r"([.\-_/])[0-9a-f]{7,}(?=[.\-_/]|$)", re.IGNORECASE)
DEFAULT = re.compile(r"^\{\{\s*default\s*\}\}$")


def normalize_filename(filename: str) -> str:
    """A file name without what changes between deploys: scheme and host, query, hashes."""
    name = filename.split("?", 1)[0].split("#", 1)[0]
    if "://" in name:
        name = name.split("://", 1)[1]
        name = name.split("/", 1)[1] if "/" in name else ""
    return HASH_IN_NAME.sub(r"\1<hash>", name.lstrip("./"))


def frame_component(frame: dict) -> str:
    where = frame.get("module") or normalize_filename(frame.get("filename") or "")
    return f"{where}:{frame.get('function') or '?'}"


def stack_components(exceptions: list[dict]) -> list[str]:
    components: list[str] = []
    for exc in exceptions:
        frames = exc["frames"]
        in_app = [f for f in frames if f.get("in_app")]
        chosen = in_app or frames
        if chosen:
            components.append(f"type:{exc['type']}")
            components.extend(frame_component(f) for f in chosen)
    return components


def default_components(normalized: dict) -> list[str]:
    exceptions = normalized["data"]["exceptions"]
    components = stack_components(exceptions)
    if components:
        return components
    if exceptions:
        return [f"{exc['type']}:{exc['value']}" for exc in exceptions]
    entry = normalized["data"]["logentry"]
    return [f"message:{entry['message'] or entry['formatted']}"]


def grouping_hash(normalized: dict) -> str:
    fingerprint = normalized["data"]["fingerprint"]
    if fingerprint:
        components = []
        for part in fingerprint:
            if DEFAULT.match(part):
                components.extend(default_components(normalized))
            else:
                components.append(f"fingerprint:{part}")
    else:
        components = default_components(normalized)
    return hashlib.md5("\n".join(components).encode("utf-8", "replace")).hexdigest()


def title(normalized: dict) -> str:
    """`Type: first line of value`, or the message; as Sentry titles issues."""
    if normalized["exception_type"] or normalized["exception_value"]:
        first_line = normalized["exception_value"].strip().split("\n", 1)[0]
        title = ": ".join(filter(None, (normalized["exception_type"] or "Error", first_line)))
    else:
        title = normalized["message"].strip().split("\n", 1)[0] or "<unlabeled event>"
    return title[:500]


def culprit(normalized: dict) -> str:
    """The transaction, else the top in-app frame (or the top frame) of the raised exception."""
    transaction = normalized["data"]["transaction"]
    if transaction:
        return transaction[:500]
    frames = normalized["frames"]
    top = next((f for f in reversed(frames) if f.get("in_app")), frames[-1] if frames else None)
    if not top:
        return ""
    where = top.get("module") or top.get("filename") or "?"
    return f"{where} in {top.get('function') or '?'}"[:500]
