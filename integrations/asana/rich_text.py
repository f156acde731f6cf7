"""Task notes as Asana rich text (`html_notes`): Asana renders no Markdown, so a stack trace
goes in <pre> and a link in <a>, and everything else is escaped text.

Reference: https://developers.asana.com/docs/rich-text — XML inside one <body>, only Asana's
tags; text escaped (&amp; &lt; &gt;, and &quot; in attributes); line breaks kept as they are.
The plain text of the result (what Asana shows as `notes`) is exactly the text given.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

BLANK_LINE = re.compile(r"(\n[ \t]*\n)")
URL = re.compile(r"https?://\S+")


def looks_like_code(block: str) -> bool:
    """A traceback, or lines indented as code are: kept monospaced, spacing intact."""
    lines = block.split("\n")
    return lines[0].startswith("Traceback") or (
        len(lines) > 1 and any(line.startswith(("  ", "\t")) for line in lines)
    )


def block_html(block: str) -> str:
    if not block.strip():
        return escape(block)
    if looks_like_code(block):
        return f"<pre>{escape(block)}</pre>"
    if URL.fullmatch(block.strip()):
        lead = block[: len(block) - len(block.lstrip())]
        url = block.strip()
        return f"{escape(lead)}<a href={quoteattr(url)}>{escape(url)}</a>"
    return escape(block)


def notes_html(text: str) -> str:
    """`text` as Asana rich text: <body>, code blocks in <pre>, a lone URL as a link."""
    parts = BLANK_LINE.split(text)
    return "<body>" + "".join(block_html(part) for part in parts) + "</body>"


def plain_html(text: str) -> str:
    """`text` as rich text without any markup: no reason to send html_notes for it."""
    return f"<body>{escape(text)}</body>"
