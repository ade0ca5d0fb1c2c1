from loyalty.admin import ledger, rewards  # noqa: F401
