"""The step registry."""
