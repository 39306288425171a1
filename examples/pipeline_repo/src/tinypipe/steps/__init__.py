"""The steps: contracts, specifications, configs, builders and scripts."""
