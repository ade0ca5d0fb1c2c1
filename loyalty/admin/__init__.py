from loyalty.admin import ledger, rules  # noqa: F401
