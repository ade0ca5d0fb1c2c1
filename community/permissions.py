"""Who may do what in the community, asked of the object itself."""

from __future__ import annotations

MODERATE_PERMISSION = "community.moderate"


def is_moderator(user) -> bool:
    """Staff with the moderation permission (superusers have every one)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(MODERATE_PERMISSION)
    )
