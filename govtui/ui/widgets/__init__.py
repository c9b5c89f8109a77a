"""Widgets of the console: fleet table, status bar, breadcrumbs, the command line, panels, plots."""
