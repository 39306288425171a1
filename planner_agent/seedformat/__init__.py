"""seedformat."""
