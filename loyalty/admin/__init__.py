from loyalty.admin import (
    badges,  # noqa: F401
    bounties,  # noqa: F401
    early_access,  # noqa: F401
    ledger,  # noqa: F401
    rewards,  # noqa: F401
    rules,  # noqa: F401
    tiers,  # noqa: F401
)
