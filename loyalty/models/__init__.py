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

__all__ = [
    "Area",
    "Award",
    "Bucket",
    "DeliveredOrder",
    "EntryKind",
    "LedgerEntry",
    "PointsAccount",
    "ProgramSettings",
    "TierBasis",
    "TierPeriod",
]
