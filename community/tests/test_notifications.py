from __future__ import annotations

import pytest
from django.utils import translation

from community.events import ContentModerated
from community.handlers import notify_moderation_decision
from community.notifications import KINDS, MODERATION
from community.tests.factories import MemberFactory, make_moderator
from core.models import Notification, OutgoingEmail
from core.notifications import notification_kinds
from core.notifications.services import notification_text

pytestmark = pytest.mark.django_db


def test_the_community_kinds_are_registered_for_members_to_choose():
    codes = {kind.code for kind in notification_kinds()}
    assert {kind.code for kind in KINDS} <= codes


def test_a_moderation_decision_notifies_the_author_once_with_the_reason():
    # given a hidden post's decision event, delivered twice
    author, moderator = MemberFactory(), make_moderator()
    event = ContentModerated(
        kind="post",
        content_id=7,
        author_id=author.pk,
        decision="hide",
        moderator_id=moderator.pk,
        reason="Personal details",
        url="/community/t/1/x/#post-2",
        title="My phone number is",
    )
    notify_moderation_decision(event)
    notify_moderation_decision(event)
    # then one notification, with the decision and reason in the member's words
    notification = Notification.objects.get(recipient=author)
    assert notification.kind == MODERATION
    with translation.override("en"):
        text = notification_text(notification)
    assert "was hidden by a moderator" in text and "Personal details" in text
    assert OutgoingEmail.objects.filter(to=[author.email]).count() == 1
