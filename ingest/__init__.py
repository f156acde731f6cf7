"""Ingestion: the public endpoints the Sentry SDKs post events to, and the tasks that group
and store them. The only unauthenticated surface of Tasklink (keyed by a project's DSN)."""
