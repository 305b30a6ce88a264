"""Logs: the KQL explorer's saved queries, stored per user."""
