"""govtui.demo."""
