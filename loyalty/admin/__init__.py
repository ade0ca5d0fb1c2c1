from loyalty.admin import (
    ledger,  # noqa: F401
    tiers,  # noqa: F401
)
