from __future__ import annotations


class ApplicationError(Exception):
    """A business rule refused the request. Views turn it into a 4xx with
    `message` shown to the user; it never means a bug."""

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        extra: dict | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code
