"""The community's admin: one moderation queue across every kind of content,
the flags, the audit history, members' standing and the community settings.
Each kind of content adds its own module here."""

from community.admin import (  # noqa: F401
    forums,
    moderation,
    polls,
    qa,
    reviews,
)
