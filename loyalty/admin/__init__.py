from loyalty.admin import ledger  # noqa: F401
