"""govtui.fleet."""
