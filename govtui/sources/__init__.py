"""govtui.sources."""
