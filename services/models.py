"""Every table, imported in one place so Alembic and tests see the whole schema."""

from services.audit import AuditRecord
from services.db import Base
from services.incidents.models import Incident, IncidentEvent, SeverityDefinition
from services.slos.models import Slo

__all__ = ["Incident", "IncidentEvent", "SeverityDefinition", "AuditRecord", "Base", "Slo"]
