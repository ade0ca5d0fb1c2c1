from __future__ import annotations

import io

import pytest
from django.urls import reverse

from accounts.admin_site import KampungAdminSite
from accounts.demo import seed_users
from community.demo.polls import seed_polls
from community.models import Poll, PollBallot, PollOption, PollVote
from community.services.polls import poll_vote
from community.tests.factories import MemberFactory, make_moderator, poll_make
from core.events import quiet
from shop.demo import seed_shop

pytestmark = pytest.mark.django_db


def test_demo_polls_are_made_once_with_votes(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.StringIO()
    with quiet():
        seed_users(out)
        seed_shop(out, products=60)
        seed_polls(out)
        counts = (Poll.objects.count(), PollBallot.objects.count(), PollVote.objects.count())
        seed_polls(io.StringIO())
    assert (Poll.objects.count(), PollBallot.objects.count(), PollVote.objects.count()) == counts
    sambal = Poll.objects.get(title="Which sambal next?")
    assert sambal.results == Poll.Results.ALWAYS and sambal.voter_count == 3
    assert sambal.status == "published" and sambal.author.is_staff
    multiple = Poll.objects.get(poll_type=Poll.Type.MULTIPLE)
    assert multiple.voter_count == 3
    assert PollOption.objects.filter(poll=multiple, product__isnull=False).exists()
    owners = Poll.objects.get(owners_only=True)
    assert owners.product_id and owners.title.startswith("Untuk pembeli")
    assert owners.voter_count >= 1
    for poll in Poll.objects.all():
        for option in poll.options.all():
            assert option.vote_count == option.votes.count()


def test_admin_lists_and_shows_a_poll_and_a_moderator_closes_it(client, monkeypatch):
    # the admin's TOTP check is covered in accounts' tests
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    poll = poll_make(title="Admin question?")
    poll_vote(poll=poll, voter=MemberFactory(), option_ids=[poll.options.first().pk])
    moderator = make_moderator(is_superuser=True)
    client.force_login(moderator)
    changelist = client.get(reverse("admin:community_poll_changelist"))
    assert changelist.status_code == 200 and "Admin question?" in changelist.content.decode()
    change = client.get(reverse("admin:community_poll_change", args=[poll.pk]))
    assert change.status_code == 200 and "Red" in change.content.decode()
    response = client.post(
        reverse("admin:community_poll_changelist"),
        {"action": "close_polls", "_selected_action": [poll.pk]},
        follow=True,
    )
    assert response.status_code == 200
    poll.refresh_from_db()
    assert poll.closed_at is not None and poll.closed_by == moderator
