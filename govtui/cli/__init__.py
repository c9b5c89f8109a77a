"""govtui.cli."""
