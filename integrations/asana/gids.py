"""The one rule for Asana ids (gids): 1 to 32 ASCII digits, always handled as strings.

Forms, the client and the plugin all ask here, so a value one of them accepts the others do too.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_LENGTH = 32
_GID = re.compile(rf"[0-9]{{1,{MAX_LENGTH}}}")
_DIGITS = re.compile(r"[0-9]+")


def is_gid(value: str) -> bool:
    return bool(_GID.fullmatch(value))


def gid_problem(value: str, what: str) -> str | None:
    """Why `value` is not a gid, as a form says it (Sentry's wording), or None if it is one."""
    if not _DIGITS.fullmatch(value):
        return f"Non-numeric {what} value"
    if len(value) > MAX_LENGTH:
        return f"That {what} id is too long."
    return None


def parse_task_reference(value: str) -> str | None:
    """A task gid from a gid or a pasted Asana task URL, or None if it is neither.

    Asana's task URLs come as https://app.asana.com/0/<project>/<task>[/f] and
    https://app.asana.com/1/<workspace>/task/<task> (also .../project/<p>/task/<task>).
    """
    value = value.strip()
    if is_gid(value):
        return value
    try:
        path = urlsplit(value).path
    except ValueError:  # e.g. "http://[": not a URL at all, so not a task reference
        return None
    parts = [part for part in path.split("/") if part]
    if "task" in parts:
        index = parts.index("task")
        candidate = parts[index + 1] if index + 1 < len(parts) else ""
    elif len(parts) >= 3 and parts[0] == "0":
        candidate = parts[2]
    else:
        return None
    return candidate if is_gid(candidate) else None
