"""govtui.actions."""
