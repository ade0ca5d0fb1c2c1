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
from loyalty.models.tiers import MemberSpend, MemberTier, Tier

__all__ = [
    "Area",
    "Award",
    "Bucket",
    "DeliveredOrder",
    "EntryKind",
    "LedgerEntry",
    "MemberSpend",
    "MemberTier",
    "PointsAccount",
    "ProgramSettings",
    "Tier",
    "TierBasis",
    "TierPeriod",
]
