"""Step scripts."""
