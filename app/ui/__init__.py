"""Shared widgets and formatting."""
