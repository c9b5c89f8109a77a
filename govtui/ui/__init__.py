"""govtui.ui."""
