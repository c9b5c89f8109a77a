"""govtui: the on-call console for machine-learning models."""

__version__ = "0.1.0"
