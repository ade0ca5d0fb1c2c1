"""The community's reactions to events: its own notifications
(community.notifications). The only place the community reacts to events."""

from __future__ import annotations

from community import notifications
from community.events import ContentModerated
from core.events import subscribe


@subscribe(ContentModerated, name="community.notify_moderation_decision")
def notify_moderation_decision(event: ContentModerated) -> None:
    notifications.notify_decision(event)
