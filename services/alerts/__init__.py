"""Alert rules over telemetry, their alerts, and the outbox that delivers notifications exactly once."""
