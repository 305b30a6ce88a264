"""SLOs: definitions, SLI and error-budget math, and evaluation against telemetry."""
