"""Shared Dash components, one per file."""
