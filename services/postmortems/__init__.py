"""Blameless postmortems: impact from telemetry, timeline, five whys, action items; draft → in review → published."""
