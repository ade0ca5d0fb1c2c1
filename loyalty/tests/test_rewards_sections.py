"""The Rewards page's blocks: tier progress, this month's leaders, early
access, the referral link and how to earn; each shows the member's figures,
hides when it has nothing to say, and the page's queries stay the same
whatever the data holds."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from loyalty.models import (
    Badge,
    BadgeCriterion,
    DropAudience,
    EarlyAccessDrop,
    EarningRule,
    MemberBadge,
    MemberTier,
    ProgramSettings,
    Referral,
    ReferralCode,
    Tier,
    TierBasis,
)
from loyalty.services.ledger import points_award
from loyalty.services.referrals import referral_link_on_signup
from loyalty.services.rules import earning_rules_ensure
from loyalty.tests.shop_rows import product_create

pytestmark = pytest.mark.django_db

PAGE = "/rewards/"


@pytest.fixture(autouse=True)
def _rules(db):
    earning_rules_ensure()  # a transactional test elsewhere flushes the migration's rows


@pytest.fixture
def ladder():
    return (
        Tier.objects.create(name="Bronze", threshold=0, description="Birthday points"),
        Tier.objects.create(
            name="Silver",
            threshold=300,
            multiplier=Decimal("1.25"),
            description="Free shipping on Fridays",
        ),
        Tier.objects.create(
            name="Gold", threshold=1000, multiplier=Decimal("1.5"), description="A gift each year"
        ),
    )


def _member(client, **kwargs):
    member = UserFactory(**kwargs)
    client.force_login(member)
    return member


def _earn(member, points, *, area="reviews", rule="review"):
    return points_award(
        user_id=member.pk,
        rule=rule,
        subject=f"{rule}:{uuid.uuid4().hex[:10]}",
        points=points,
        area=area,
        source_event_id=uuid.uuid4(),
        occurred_at=timezone.now(),
    )


def _text(response) -> str:
    """The page's words, tags and runs of spaces taken out."""
    assert response.status_code == 200
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _section(response, code: str) -> str:
    html = response.content.decode()
    match = re.search(rf'<section[^>]*aria-labelledby="rewards-{code}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def _drop(products, *, opens_in=-timedelta(hours=1), **kwargs) -> EarlyAccessDrop:
    return EarlyAccessDrop.objects.create(
        name=kwargs.pop("name", "Songket drop"),
        product_ids=[product.pk for product in products],
        opens_at=timezone.now() + opens_in,
        **kwargs,
    )


# ------------------------------------------------------------------ tier
def test_the_tier_block_shows_the_tier_its_perks_and_what_the_next_one_takes(client, ladder):
    # given
    member = _member(client)
    _earn(member, 450)

    # when
    response = client.get(PAGE)

    # then
    block = _section(response, "tier")
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", block)))
    assert "Silver" in text and "×1.25 points on purchases" in text
    assert "550 more points to Gold" in text
    assert "450 qualifying points this year" in text
    assert "Free shipping on Fridays" in text and "A gift each year" in text
    kept = MemberTier.objects.get(user=member).kept_until
    assert f"Kept until {date_format(kept, 'DATE_FORMAT')}" in text
    assert "×1.5 purchase points" in text
    assert 'value="21"' in block  # (450 - 300) / (1000 - 300)
    current = re.findall(r'aria-current="step">\s*<span class="tier-step-name">(\w+)', block)
    assert current == ["Silver"]


def test_the_tier_block_at_the_top_says_so(client, ladder):
    member = _member(client)
    _earn(member, 1200)

    text = _text(client.get(PAGE))

    assert "You have reached the top tier." in text
    assert "more points to" not in text


def test_on_the_spend_basis_the_tier_block_speaks_of_spend(client, ladder):
    # given
    ProgramSettings.objects.update_or_create(pk=1, defaults={"tier_basis": TierBasis.SPEND})
    _member(client)

    # when
    text = _text(client.get(PAGE))

    # then
    assert "Rp 300 more spend to Silver" in text.replace("\xa0", " ")
    assert "No tier yet" not in text  # Bronze starts at 0: every member holds it


def test_below_the_first_tier_the_block_shows_what_it_takes(client):
    Tier.objects.create(name="Silver", threshold=300)
    member = _member(client)
    _earn(member, 120)

    block = _section(client.get(PAGE), "tier")

    assert "No tier yet" in block and "180 more points to Silver" in block
    assert 'value="40"' in block and "Kept until" not in block


@pytest.mark.parametrize(
    ("per_unit", "text"),
    [
        ("0.0001", "1 point for every Rp 10,000 spent"),
        ("0.0003", "3 points for every Rp 10,000 spent"),
        ("0.00015", "15 points for every Rp 100,000 spent"),
        ("0.001", "1 point for every Rp 1,000 spent"),
        ("2", "2 points for every Rp 1 spent"),
    ],
)
def test_how_to_earn_says_what_spending_earns(client, per_unit, text):
    EarningRule.objects.filter(code="purchase").update(points_per_unit=Decimal(per_unit))

    block = unescape(_section(client.get(PAGE), "earn")).replace("\xa0", " ")

    assert text in block


def test_without_tiers_there_is_no_tier_block(client):
    _member(client)

    response = client.get(PAGE)

    assert _section(response, "tier") == ""
    assert "Your tier" not in response.content.decode()


# ----------------------------------------------------------- leaderboard
def test_the_leaders_block_shows_this_months_top_five_and_the_members_rank(client):
    # given
    others = UserFactory.create_batch(6)
    for index, other in enumerate(others):
        _earn(other, 100 + 10 * index)
    _earn(StaffFactory(display_name="Shop Staff"), 5000)
    member = _member(client, display_name="Wulan")
    _earn(member, 20)

    # when
    response = client.get(PAGE)

    # then
    block = _section(response, "board")
    assert block.count('class="board-row') == 6  # the top five and the member below them
    assert others[5].display_name in block and others[1].display_name in block
    assert others[0].display_name not in block  # sixth of the others
    assert "Shop Staff" not in block
    assert "You are number 7 this month with 20 points." in _text(response)
    assert 'href="/rewards/leaderboards/"' in block


def test_the_leaders_block_tells_staff_they_are_not_ranked(client):
    staff = StaffFactory()
    client.force_login(staff)
    _earn(UserFactory(), 30)

    text = _text(client.get(PAGE))

    assert "Staff are not ranked." in text
    assert "You are number" not in text


def test_visitors_see_the_leaders_but_no_rank(client):
    leader = UserFactory(display_name="Ayu")
    _earn(leader, 40)

    response = client.get(PAGE)

    block = _section(response, "board")
    assert "Ayu" in block
    assert "You are number" not in block and "Join to earn points" in block


def test_a_visitor_sees_no_leaders_block_on_an_empty_board(client):
    assert _section(client.get(PAGE), "board") == ""


# ---------------------------------------------------------- early access
def test_the_early_access_block_counts_open_soon_and_locked_drops(client, ladder):
    # given
    member = _member(client)
    _earn(member, 350)  # Silver
    later = timezone.now() + timedelta(days=7)
    _drop([product_create(launch_at=later)], name="Batik preview")
    _drop([product_create(launch_at=later)], name="Tenun preview")
    _drop([product_create(launch_at=later)], name="Silver sale", audience="tier", tier="silver")
    _drop([product_create(launch_at=later)], name="Kopi drop", opens_in=timedelta(days=2))
    _drop([product_create(launch_at=later)], name="Gold one", audience="tier", tier="gold")
    _drop([product_create(launch_at=later)], name="Gold two", audience="tier", tier="gold")
    Badge.objects.create(code="critic", name="Critic", rule="review")
    _drop([product_create(launch_at=later)], name="Critics", audience="badge", badge="critic")
    _drop([product_create(launch_at=timezone.now() - timedelta(days=1))], name="Launched")

    # when
    response = client.get(PAGE)

    # then
    block = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _section(response, "early"))))
    assert "3 drops are open to you now" in block
    assert "Batik preview" in block and "Tenun preview" in block and "Silver sale" in block
    assert "1 more opens to you from" in block
    assert "Unlocks at Gold and above: 2 drops" in block
    assert "Unlocks with the Critic badge: 1 drop" in block
    assert "Launched" not in block and "Gold one" not in block


def test_the_early_access_block_agrees_with_the_early_access_page(client, ladder):
    # given: a member of Gold, by the tier stored for them
    member = _member(client)
    _earn(member, 1000)
    later = timezone.now() + timedelta(days=7)
    _drop([product_create(launch_at=later)], audience=DropAudience.TIER, tier="gold")
    _drop([product_create(launch_at=later)], audience=DropAudience.TIER, tier=str(ladder[1].pk))
    _drop([product_create(launch_at=later)], audience=DropAudience.BADGE, badge="none-held")

    # when
    block = _section(client.get(PAGE), "early")
    page = client.get(reverse("loyalty:early_access")).context

    # then
    assert len(page["open_drops"]) == 2 and len(page["locked_drops"]) == 1
    assert "<strong>2</strong> drops are open to you now" in block
    assert "1 drop" in block


def test_with_no_drops_to_launch_there_is_no_early_access_block(client):
    _member(client)
    _drop([product_create(launch_at=timezone.now() - timedelta(days=1))])

    response = client.get(PAGE)

    assert _section(response, "early") == ""


# -------------------------------------------------------------- referral
def test_the_referral_block_gives_the_link_the_share_text_and_the_results(client):
    # given
    member = _member(client)
    code = ReferralCode.objects.create(user=member, code="WULAN234").code
    joined = UserFactory.create_batch(3)
    for friend in joined:
        Referral.objects.create(referrer=member, referred=friend)
    Referral.objects.filter(referred=joined[0]).update(first_order_id=11)
    _earn(member, 200, rule="referral", area="account")

    # when
    response = client.get(PAGE)

    # then
    block = unescape(_section(response, "referral"))
    link = f"http://testserver/accounts/signup/?ref={code}"
    assert f'value="{link}"' in block
    assert f"Join me at Kampung: you get 200 points after your first order. {link}" in block
    assert "you both get 200 points" in block and "up to 2,000 points" in block
    assert re.search(r"Friends joined</dt><dd>3<", block)
    assert re.search(r"First orders paid</dt><dd>1<", block)
    assert re.search(r"Points earned</dt><dd>200<", block)
    assert 'data-copy-target="referral-link"' in block and "readonly" in block


def test_a_member_gets_a_code_on_first_visit_and_keeps_it(client):
    member = _member(client)
    Referral.objects.create(referrer=member, referred=UserFactory())

    first = _section(client.get(PAGE), "referral")
    second = _section(client.get(PAGE), "referral")

    code = ReferralCode.objects.get(user=member).code
    assert f"?ref={code}" in first and f"?ref={code}" in second
    assert re.search(r"Friends joined</dt><dd>1<", first)


def test_the_referral_link_links_a_friend_who_signs_up_with_it(client):
    # given: the member's link, followed by a visitor who then signs up
    member = _member(client)
    block = unescape(_section(client.get(PAGE), "referral"))
    link = re.search(r'id="referral-link"[^>]*value="([^"]+)"', block) or re.search(
        r'value="([^"]+)"[^>]*id="referral-link"', block
    )
    client.logout()
    client.get(link.group(1).removeprefix("http://testserver"))

    # when
    client.post(
        reverse("account_signup"),
        {"email": "friend@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    # then
    friend = type(member).objects.get(email="friend@example.com")
    assert friend.referred_by_code == ReferralCode.objects.get(user=member).code
    referral = referral_link_on_signup(user_id=friend.pk)
    assert referral is not None and referral.referrer_id == member.pk


def test_with_the_referral_rule_off_there_is_no_referral_block(client):
    EarningRule.objects.filter(code="referral").update(enabled=False)
    member = _member(client)

    response = client.get(PAGE)

    assert _section(response, "referral") == ""
    assert not ReferralCode.objects.filter(user=member).exists()


def test_the_share_text_is_in_the_members_language(client):
    _member(client)
    ReferralCode.objects.all().delete()

    with translation.override("id"):
        block = unescape(_section(client.get("/id/rewards/"), "referral"))

    assert "Yuk gabung di Kampung" in block and "/id/accounts/signup/?ref=" in block


# ------------------------------------------------------------ how to earn
def test_how_to_earn_lists_the_enabled_rules_with_their_points_and_limits(client, ladder):
    # given
    EarningRule.objects.filter(code="birthday").update(enabled=False)
    EarningRule.objects.filter(code="poll_vote").update(points=0)
    _member(client)

    # when
    response = client.get(PAGE)

    # then
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", _section(response, "earn"))))
    assert "Write a product review 20 points up to 100 points a day" in text
    assert "Shop with us 1 point for every Rp 10,000 spent" in text
    assert "Complete your profile 30 points once" in text
    assert (
        "Start a forum thread 5 points up to 15 points a day · from the Basic trust level" in text
    )
    assert "Invite a friend 200 points each for you and your friend after their first order" in text
    assert "up to 2,000 points in all" in text
    assert "Visit on consecutive days 1 point for each day of your streak" in text
    assert "birthday" not in text.lower() and "Vote in a poll" not in text
    assert "Purchase points grow with your tier's multiplier." in text


def test_visitors_see_how_to_earn_with_the_invitation_to_join(client):
    response = client.get(PAGE)

    html = response.content.decode()
    assert "Join to start earning" in html
    assert "Write a product review" in _section(response, "earn")
    assert html.index("Join to start earning") < html.index("How to earn points")
    for members_only in ("rewards-tier", "rewards-early", "rewards-referral"):
        assert members_only not in html


def test_members_find_how_to_earn_below_their_history(client):
    _member(client)

    html = client.get(PAGE).content.decode()

    assert html.index('id="history"') < html.index("How to earn points")


def test_with_every_rule_off_there_is_no_how_to_earn(client):
    EarningRule.objects.update(enabled=False)

    assert _section(client.get(PAGE), "earn") == ""


# --------------------------------------------------------------- queries
def _busy_member(client, ladder):
    member = _member(client)
    for n in range(6):
        badge = Badge.objects.create(
            code=f"b{n}",
            name=f"B{n}",
            rule="review",
            threshold=100 + n,
            criterion=BadgeCriterion.AWARD_COUNT,
        )
        if n % 2:
            MemberBadge.objects.create(user=member, badge=badge)
    for _n in range(60):
        _earn(member, 10)
    for other in UserFactory.create_batch(8):
        _earn(other, 700)  # the member's place is below this month's top five
    later = timezone.now() + timedelta(days=7)
    for n in range(4):
        _drop([product_create(launch_at=later)], name=f"Drop {n}")
        _drop([product_create(launch_at=later)], name=f"Tier {n}", audience="tier", tier="gold")
        _drop([product_create(launch_at=later)], audience="badge", badge=f"b{n}")
    for friend in UserFactory.create_batch(3):
        Referral.objects.create(referrer=member, referred=friend)
    return member


def test_the_members_page_with_every_block_costs_a_fixed_number_of_queries(
    client, ladder, django_assert_max_num_queries
):
    # given
    _busy_member(client, ladder)
    client.get(PAGE)  # the referral code is made and the marks are cached

    # when: the page's own 9, the tier (ladder, settings, qualifying value,
    # stored tier: 4), this month's board from the ledger (staff, top five,
    # the member's total and rank, names: 5), the drops and their launch
    # dates (2), the earning rules (1), the referral results (1) and the open bounties (1)
    with django_assert_max_num_queries(23):
        response = client.get(PAGE)

    # then
    for code in ("tier", "board", "early", "referral", "earn"):
        assert _section(response, code), code
    assert "You are number 9 this month with 600 points." in _text(response)


def test_the_members_page_queries_do_not_grow_with_the_data(
    client, ladder, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = _member(client)
    _earn(member, 10)
    later = timezone.now() + timedelta(days=7)
    _drop([product_create(launch_at=later)], audience="tier", tier="gold")
    client.get(PAGE)
    with CaptureQueriesContext(connection) as small:
        client.get(PAGE)
    # (read now: the next request empties the connection's query log)
    queries_with_little = len(small.captured_queries)

    # when: much more of everything
    for _n in range(40):
        _earn(member, 10)
    for other in UserFactory.create_batch(10):
        _earn(other, 70)
    for n in range(6):
        _drop([product_create(launch_at=later)], audience="tier", tier="silver", name=f"S{n}")
        Badge.objects.create(code=f"x{n}", name=f"X{n}", rule="review", threshold=50 + n)
    client.get(PAGE)

    # then
    with django_assert_num_queries(queries_with_little):
        client.get(PAGE)
