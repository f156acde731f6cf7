"""axe-core in the browser journeys: `assert_accessible(page)` fails on critical or serious
violations.

axe-core (MPL-2.0, Deque Systems) comes from PyPI inside axe-playwright-python
(requirements-dev.txt), so CI needs nothing beyond pip. Only its axe.min.js is used: it is
injected over the DevTools protocol, which the page's CSP does not govern.
"""

from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT

BLOCKING = ("critical", "serious")


def violations(page, context: str | None = None) -> list[dict]:
    """The page's violations of critical or serious impact, as axe reports them, once htmx has
    settled and no transition runs (a list dimmed while it loads is not what people read)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"
        " && document.getAnimations().every(a => a.playState !== 'running')"
    )
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    found = page.evaluate(
        "async (context) => (await axe.run(context || document,"
        " {resultTypes: ['violations']})).violations",
        context,
    )
    return [v for v in found if v["impact"] in BLOCKING]


def describe(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(f"{violation['impact']}: {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(
                f"    {' '.join(node['target'])}: {node['failureSummary'].splitlines()[-1]}"
            )
    return "\n".join(lines)


def assert_accessible(page, context: str | None = None) -> None:
    found = violations(page, context)
    assert not found, f"axe-core on {page.url}:\n{describe(found)}"
