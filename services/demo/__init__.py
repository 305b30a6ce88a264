"""Demo telemetry for mana: deterministic seeded history with injected incidents, and live traffic."""

from services.demo.generator import seed
from services.demo.incidents import BRUTE_FORCE, DOPA_TIMEOUTS, INCIDENTS, REGRESSION, Incident, incident_windows
from services.demo.live import live
from services.demo.tables import generate

__all__ = [
    "BRUTE_FORCE",
    "DOPA_TIMEOUTS",
    "INCIDENTS",
    "REGRESSION",
    "Incident",
    "generate",
    "incident_windows",
    "live",
    "seed",
]
