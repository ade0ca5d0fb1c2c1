"""Loyalty models, one module per part of the program."""

from loyalty.models.ledger import (
    Area,
    Award,
    Bucket,
    DeliveredOrder,
    EntryKind,
    LedgerEntry,
    PointsAccount,
)
from loyalty.models.program import ProgramSettings, TierBasis, TierPeriod
from loyalty.models.rules import (
    EarningRule,
    FirstReview,
    PaidOrder,
    Referral,
    ReferralCode,
    RuleCode,
)

__all__ = [
    "Area",
    "Award",
    "Bucket",
    "DeliveredOrder",
    "EarningRule",
    "EntryKind",
    "FirstReview",
    "LedgerEntry",
    "PaidOrder",
    "PointsAccount",
    "ProgramSettings",
    "Referral",
    "ReferralCode",
    "RuleCode",
    "TierBasis",
    "TierPeriod",
]
