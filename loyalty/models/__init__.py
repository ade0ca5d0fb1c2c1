"""Loyalty models, one module per part of the program."""

from loyalty.models.early_access import DropAudience, EarlyAccessDrop, EarlyAccessNotice
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

__all__ = [
    "Area",
    "Award",
    "Bucket",
    "DeliveredOrder",
    "DropAudience",
    "EarlyAccessDrop",
    "EarlyAccessNotice",
    "EntryKind",
    "LedgerEntry",
    "PointsAccount",
    "ProgramSettings",
    "TierBasis",
    "TierPeriod",
]
