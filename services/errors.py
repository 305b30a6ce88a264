"""The service layer's errors: each carries a message a user can act on."""


class ServiceError(Exception):
    """Base class; the message is shown to the user as it is."""


class NotFound(ServiceError):
    """The thing asked for does not exist."""


class Conflict(ServiceError):
    """The change clashes with the current state."""


class PermissionDenied(ServiceError):
    """The acting user's role does not allow this action."""


class InvalidInput(ServiceError):
    """The input is malformed; the message says what and how to fix it."""


class ExternalServiceError(ServiceError):
    """A system we talk to (Azure, a board, a notifier) failed or refused."""


class DatabaseError(ExternalServiceError):
    """The app-state database is unreachable or refused the unit of work; names the (masked) URL and the reason."""


class QueryError(ExternalServiceError):
    """A telemetry query failed; names the query and the cause."""

    def __init__(
        self, message: str, *, query_name: str = "", line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.query_name = query_name
        self.line = line
        self.column = column
