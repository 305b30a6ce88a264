"""The audit log: hash-chained records of every change (models, repository, service; export and CLI beside them).

Every domain writes through `audit.record(session, actor=..., ...)`; the names below are the package's surface.
"""

from services.audit.models import AuditRecord
from services.audit.service import ChainState, changes, list_records, record, verify_chain

__all__ = ["AuditRecord", "ChainState", "changes", "list_records", "record", "verify_chain"]
