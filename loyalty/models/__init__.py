"""Loyalty models, one module per part of the program."""

from loyalty.models.badges import (
    Badge,
    BadgeCriterion,
    BadgeLevel,
    Challenge,
    ChallengeCompletion,
    MemberBadge,
)
from loyalty.models.bounties import Bounty, BountyOutcome, BountyStatus
from loyalty.models.early_access import DropAudience, EarlyAccessDrop, EarlyAccessNotice
from loyalty.models.ledger import (
    Area,
    Award,
    BoardScore,
    Bucket,
    DeliveredOrder,
    EntryKind,
    LedgerEntry,
    PointsAccount,
)
from loyalty.models.program import ProgramSettings, TierBasis, TierPeriod
from loyalty.models.rewards import RedemptionStatus, Reward, RewardKind, RewardRedemption
from loyalty.models.rules import (
    EarningRule,
    FirstReview,
    PaidOrder,
    Referral,
    ReferralCode,
    RuleCode,
)
from loyalty.models.spending import CheckoutRedemption
from loyalty.models.tiers import MemberSpend, MemberTier, Tier

__all__ = [
    "Area",
    "Award",
    "Badge",
    "BadgeCriterion",
    "BadgeLevel",
    "BoardScore",
    "Bounty",
    "BountyOutcome",
    "BountyStatus",
    "Bucket",
    "Challenge",
    "ChallengeCompletion",
    "CheckoutRedemption",
    "DeliveredOrder",
    "DropAudience",
    "EarlyAccessDrop",
    "EarlyAccessNotice",
    "EarningRule",
    "EntryKind",
    "FirstReview",
    "LedgerEntry",
    "MemberBadge",
    "MemberSpend",
    "MemberTier",
    "PaidOrder",
    "PointsAccount",
    "ProgramSettings",
    "RedemptionStatus",
    "Referral",
    "ReferralCode",
    "Reward",
    "RewardKind",
    "RewardRedemption",
    "RuleCode",
    "Tier",
    "TierBasis",
    "TierPeriod",
]
