"""Automation rules: when an issue is first seen, regresses or gets busy, create a task at a
tracker through its plugin's hooks. Models, forms, views, the engine and the worker's tasks."""
