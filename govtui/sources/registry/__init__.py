"""govtui.sources.registry."""
