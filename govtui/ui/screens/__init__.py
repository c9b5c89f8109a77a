"""Screens of the console: fleet, model, lineage, runbook, alerts, audit, help."""
