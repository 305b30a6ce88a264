"""Saved queries: the KQL explorer's queries, stored per user."""
