from loyalty.admin import (
    early_access,  # noqa: F401
    ledger,  # noqa: F401
)
