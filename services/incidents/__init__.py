"""Incidents: the triage queue's domain — status workflow, the team's resolution protocol, timeline."""
