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
from loyalty.models.rewards import RedemptionStatus, Reward, RewardKind, RewardRedemption
from loyalty.models.spending import CheckoutRedemption

__all__ = [
    "Area",
    "Award",
    "Bucket",
    "CheckoutRedemption",
    "DeliveredOrder",
    "EntryKind",
    "LedgerEntry",
    "PointsAccount",
    "ProgramSettings",
    "RedemptionStatus",
    "Reward",
    "RewardKind",
    "RewardRedemption",
    "TierBasis",
    "TierPeriod",
]
