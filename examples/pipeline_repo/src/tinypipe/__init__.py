"""tinypipe: a pipeline repository in the four-layer layout (an example to scaffold into)."""
