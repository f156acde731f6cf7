"""The issue-tracker plugins this Tasklink runs: a second tracker is one more entry here."""

from integrations.asana.plugin import plugin as asana_plugin

PLUGINS = [asana_plugin]
