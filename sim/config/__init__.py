"""Configuration: scenario and experiment files, overrides, validation, named lookup."""
