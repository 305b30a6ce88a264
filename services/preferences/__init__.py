"""Preferences: what a user chose for themselves (the display time zone), kept per user."""
