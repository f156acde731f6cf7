"""Copy-ready set-up snippets for a project's DSN: the Sentry SDKs speak to Tasklink as is."""

from __future__ import annotations

from dataclasses import dataclass

JS_PACKAGES = {"node": "@sentry/node", "react": "@sentry/react"}
JS_PLATFORMS = {"javascript", "node", "react"}


@dataclass(frozen=True)
class Snippet:
    slug: str
    title: str
    install: str
    code: str


def python_snippet(dsn: str) -> Snippet:
    code = (
        "import sentry_sdk\n"
        "\n"
        "sentry_sdk.init(\n"
        f'    dsn="{dsn}",\n'
        '    environment="production",\n'
        ")\n"
    )
    return Snippet("python", "Python", "pip install sentry-sdk", code)


def javascript_snippet(dsn: str, platform: str) -> Snippet:
    package = JS_PACKAGES.get(platform, "@sentry/browser")
    code = (
        f'import * as Sentry from "{package}";\n'
        "\n"
        "Sentry.init({\n"
        f'  dsn: "{dsn}",\n'
        '  environment: "production",\n'
        "});\n"
    )
    return Snippet("javascript", "JavaScript", f"npm install {package}", code)


def snippets_for(platform: str, dsn: str) -> list[Snippet]:
    """Python and JavaScript, the project's own platform first."""
    python, javascript = python_snippet(dsn), javascript_snippet(dsn, platform)
    return [javascript, python] if platform in JS_PLATFORMS else [python, javascript]
