from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community.models import (
    CommunitySettings,
    ModerationAction,
    Poll,
    PollBallot,
    PollOption,
    PollVote,
    Revision,
)
from community.services.moderation import content_hide
from community.services.polls import OptionInput, poll_close, poll_vote
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    make_moderator,
    poll_make,
    trusted,
)
from shop.models import Product
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

RESULTS = 'class="poll-results"'
VOTE_FORM = 'class="poll-form"'
QUERIES_LIST_PAGE = (
    # session, user, count, polls, options, own votes, standing, voters, 2x
    # profiles, and the header's unread notifications
    11
)


def _url(poll) -> str:
    return reverse("community:poll", args=[poll.pk])


def _first(poll):
    return poll.options.order_by("position").first()


def _page(client, poll, user=None) -> str:
    if user is not None:
        client.force_login(user)
    else:
        client.logout()
    response = client.get(_url(poll))
    assert response.status_code == 200
    return response.content.decode()


# ------------------------------------------------------------- visibility
@pytest.mark.parametrize(
    ("rule", "visitor", "voter", "non_voter", "staff"),
    [
        (Poll.Results.ALWAYS, True, True, True, True),
        (Poll.Results.ON_VOTE, False, True, False, True),
        (Poll.Results.ON_CLOSE, False, False, False, True),
        (Poll.Results.STAFF_ONLY, False, False, False, True),
    ],
)
def test_results_are_shown_per_the_polls_rule(client, rule, visitor, voter, non_voter, staff):
    poll = poll_make(results=rule)
    member, other = MemberFactory(), MemberFactory()
    poll_vote(poll=poll, voter=member, option_ids=[_first(poll).pk])
    seen = {
        "visitor": RESULTS in _page(client, poll),
        "voter": RESULTS in _page(client, poll, member),
        "non_voter": RESULTS in _page(client, poll, other),
        "staff": RESULTS in _page(client, poll, UserFactory(is_staff=True)),
    }
    assert seen == {"visitor": visitor, "voter": voter, "non_voter": non_voter, "staff": staff}


def test_hidden_results_say_why(client):
    on_close = poll_make(results=Poll.Results.ON_CLOSE)
    staff_only = poll_make(title="Staff?", results=Poll.Results.STAFF_ONLY)
    on_vote = poll_make(title="Vote?", results=Poll.Results.ON_VOTE)
    member = MemberFactory()
    poll_vote(poll=on_close, voter=member, option_ids=[_first(on_close).pk])
    assert "Results will be shown when the poll closes" in _page(client, on_close, member)
    assert "Results are visible to staff" in _page(client, staff_only, member)
    assert "Vote to see the results" in _page(client, on_vote, member)


def test_on_close_results_appear_once_the_poll_closed(client):
    poll = poll_make(results=Poll.Results.ON_CLOSE, close_at=timezone.now() + timedelta(hours=1))
    member = MemberFactory()
    poll_vote(poll=poll, voter=member, option_ids=[_first(poll).pk])
    assert RESULTS not in _page(client, poll, member)
    Poll.objects.filter(pk=poll.pk).update(close_at=timezone.now() - timedelta(seconds=1))
    html = _page(client, poll, member)
    assert RESULTS in html and VOTE_FORM not in html


def test_secret_voters_are_never_named_even_to_staff(client):
    poll = poll_make(public_voters=False)
    voter = MemberFactory(display_name="Wulandari Secretvoter")
    poll_vote(poll=poll, voter=voter, option_ids=[_first(poll).pk])
    for viewer in (None, MemberFactory(), make_moderator()):
        assert "Secretvoter" not in _page(client, poll, viewer)


def test_public_polls_name_the_voters_by_option(client):
    poll = poll_make(public_voters=True)
    voter = MemberFactory(display_name="Wulandari Publicvoter")
    poll_vote(poll=poll, voter=voter, option_ids=[_first(poll).pk])
    assert "Wulandari Publicvoter" in _page(client, poll)


def test_public_voters_stay_hidden_while_results_are(client):
    poll = poll_make(public_voters=True, results=Poll.Results.ON_CLOSE)
    voter = MemberFactory(display_name="Wulandari Earlyvoter")
    poll_vote(poll=poll, voter=voter, option_ids=[_first(poll).pk])
    assert "Earlyvoter" not in _page(client, poll, MemberFactory())


# ------------------------------------------------------------------ voting
def test_a_member_votes_without_javascript_and_is_sent_back(client):
    poll = poll_make(results=Poll.Results.ON_VOTE)
    member = MemberFactory()
    client.force_login(member)
    response = client.post(
        reverse("community:poll_vote", args=[poll.pk]),
        {"option": [_first(poll).pk], "next": _url(poll)},
        follow=True,
    )
    html = response.content.decode()
    assert "Thank you for voting." in html and RESULTS in html
    assert PollBallot.objects.filter(poll=poll, voter=member).exists()


def test_an_htmx_vote_returns_the_poll_with_results(client):
    poll = poll_make(results=Poll.Results.ON_VOTE)
    client.force_login(MemberFactory())
    response = client.post(
        reverse("community:poll_vote", args=[poll.pk]),
        {"option": [_first(poll).pk]},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and f'id="poll-{poll.pk}"' in html and RESULTS in html


def test_a_refused_vote_shows_the_reason_and_writes_nothing(client):
    poll = poll_make()
    poll_close(poll=poll, actor=poll.author)
    client.force_login(MemberFactory())
    response = client.post(
        reverse("community:poll_vote", args=[poll.pk]),
        {"option": [_first(poll).pk]},
        headers={"HX-Request": "true"},
    )
    assert "This poll is closed." in response.content.decode()
    assert not PollVote.objects.exists()


def test_a_changed_vote_is_replaced(client):
    poll = poll_make()
    red, green, _blue = poll.options.order_by("position")
    member = MemberFactory()
    client.force_login(member)
    url = reverse("community:poll_vote", args=[poll.pk])
    client.post(url, {"option": [red.pk]})
    response = client.post(url, {"option": [green.pk]}, follow=True)
    assert "Your vote was changed." in response.content.decode()
    assert list(PollVote.objects.values_list("option_id", flat=True)) == [green.pk]


def test_a_visitor_is_asked_to_log_in_to_vote(client):
    poll = poll_make()
    html = _page(client, poll)
    assert "Log in to vote." in html and VOTE_FORM not in html
    response = client.post(reverse("community:poll_vote", args=[poll.pk]), {"option": [1]})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not PollVote.objects.exists()


def test_the_author_closes_the_poll_from_its_page(client):
    poll = poll_make()
    client.force_login(poll.author)
    assert "Close poll" in _page(client, poll, poll.author)
    response = client.post(reverse("community:poll_close", args=[poll.pk]), follow=True)
    assert "The poll is closed." in response.content.decode()
    poll.refresh_from_db()
    assert poll.closed_at is not None


def test_another_member_cannot_close_a_poll(client):
    poll = poll_make()
    member = MemberFactory()
    assert "Close poll" not in _page(client, poll, member)
    client.post(reverse("community:poll_close", args=[poll.pk]))
    poll.refresh_from_db()
    assert poll.closed_at is None


# ---------------------------------------------------------- who sees a poll
def test_a_pending_poll_is_shown_to_its_author_with_a_notice_and_to_nobody_else(client):
    author = NewMemberFactory()
    poll = poll_make(author, title="Pending question?")
    assert "waiting for a moderator" in _page(client, poll, author)
    assert "Pending question?" in client.get(reverse("community:polls")).content.decode()
    client.force_login(MemberFactory())
    assert client.get(_url(poll)).status_code == 404
    assert "Pending question?" not in client.get(reverse("community:polls")).content.decode()
    client.logout()
    assert client.get(_url(poll)).status_code == 404


def test_a_hidden_poll_is_gone_for_others(client):
    poll = poll_make(title="Hidden question?")
    content_hide(content=poll, moderator=make_moderator())
    client.force_login(MemberFactory())
    assert client.get(_url(poll)).status_code == 404
    assert "Hidden question?" not in client.get(reverse("community:polls")).content.decode()


# -------------------------------------------------------------------- list
def test_open_polls_come_before_closed_ones(client):
    closed = poll_make(title="Closed question?")
    poll_close(poll=closed, actor=closed.author)
    poll_make(title="Open question?")
    html = client.get(reverse("community:polls")).content.decode()
    assert html.index("Open question?") < html.index("Closed question?")


def _polls_with_votes(count: int) -> None:
    voters = [MemberFactory() for _ in range(2)]
    author = trusted(MemberFactory())
    for n in range(count):
        poll = poll_make(author, title=f"Question {n}?", public_voters=bool(n % 2))
        for voter in voters:
            poll_vote(poll=poll, voter=voter, option_ids=[_first(poll).pk])


@pytest.mark.parametrize("count", [2, 10])
def test_the_list_page_makes_the_same_queries_whatever_the_number_of_polls(
    client, django_assert_num_queries, count
):
    _polls_with_votes(count)
    member = MemberFactory()
    client.force_login(member)
    client.get(reverse("community:polls"))  # warm caches (settings, content types)
    with django_assert_num_queries(QUERIES_LIST_PAGE):
        response = client.get(reverse("community:polls"))
    assert response.content.decode().count('class="card poll"') == count


# -------------------------------------------------------------------- form
def test_the_form_creates_a_poll(client):
    author = trusted(MemberFactory())
    client.force_login(author)
    assert client.get(reverse("community:poll_create")).status_code == 200
    response = client.post(
        reverse("community:poll_create"),
        {
            "title": "Kapan pasar malam?",
            "option_1": "Jumat",
            "option_2": "Sabtu",
            "option_4": "Minggu",
            "poll_type": "multiple",
            "min_choices": "1",
            "max_choices": "2",
            "results": "on_vote",
            "public_voters": "on",
        },
    )
    poll = Poll.objects.get()
    assert response.status_code == 302 and response["Location"] == _url(poll)
    assert [o.label for o in poll.options.order_by("position")] == ["Jumat", "Sabtu", "Minggu"]
    assert (poll.poll_type, poll.max_choices, poll.public_voters) == ("multiple", 2, True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"option_2": ""}, "from 2 to 20 options"),
        ({"option_2": "red", "option_3": "Blue"}, "Each option must be different"),
        (
            {"poll_type": "multiple", "min_choices": "3", "max_choices": "2"},
            "cannot be more than the most choices",
        ),
        ({"close_at": "2020-01-01T10:00"}, "must be in the future"),
        ({"owners_only": "on"}, "Choose the product"),
        ({"product": "no-such-product"}, "No product at this address"),
    ],
)
def test_bad_input_keeps_the_form_with_a_clear_message(client, data, message):
    client.force_login(trusted(MemberFactory()))
    form = {
        "title": "Kept question?",
        "option_1": "Red",
        "option_2": "Green",
        "poll_type": "single",
    }
    form["results"] = "always"
    response = client.post(reverse("community:poll_create"), {**form, **data})
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html and 'value="Kept question?"' in html
    assert not Poll.objects.exists()


def test_a_visitor_is_sent_to_log_in_for_the_form(client):
    response = client.get(reverse("community:poll_create"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_list_names_the_voters_of_public_polls_only(client):
    public = poll_make(title="Public?", public_voters=True)
    secret = poll_make(title="Secret?")
    poll_vote(
        poll=public,
        voter=MemberFactory(display_name="Ratna Listvoter"),
        option_ids=[_first(public).pk],
    )
    poll_vote(
        poll=secret,
        voter=MemberFactory(display_name="Joko Hiddenvoter"),
        option_ids=[_first(secret).pk],
    )
    html = client.get(reverse("community:polls")).content.decode()
    assert "Ratna Listvoter" in html and "Hiddenvoter" not in html


def test_a_member_flags_a_poll_for_the_moderators(client):
    from community.models import Flag

    poll = poll_make()
    client.force_login(MemberFactory())
    assert 'action="/community/flag/poll/' in _page(client, poll, MemberFactory())
    client.post(reverse("community:flag", args=["poll", poll.pk]), {"reason": "spam"})
    assert Flag.objects.filter(kind="poll", object_id=poll.pk).count() == 1


def test_a_vote_from_the_list_comes_back_as_a_list_card(client):
    poll = poll_make()
    client.force_login(MemberFactory())
    response = client.post(
        reverse("community:poll_vote", args=[poll.pk]),
        {"option": [_first(poll).pk], "next": reverse("community:polls") + "?page=1"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert f'<a href="{_url(poll)}">' in html
    assert f'name="next" value="{reverse("community:polls")}?page=1"' in html


# --------------------------------------------------- options with products
MORE_OPTIONS = '<details class="poll-more-options">'


def _create(client, **fields):
    form = {"title": "Which gift?", "poll_type": "single", "results": "always", **fields}
    return client.post(reverse("community:poll_create"), form)


def test_the_form_shows_labelled_option_rows_the_later_ones_folded(client):
    # given a member on the new-poll form
    client.force_login(trusted(MemberFactory()))

    # when they open it
    html = client.get(reverse("community:poll_create")).content.decode()

    # then each option has a label field and a product field, 4 open, the rest folded
    assert '<label for="id_option_1">Option 1</label>' in html
    assert '<label for="id_option_1_product">Product for option 1 (optional)</label>' in html
    assert html.index('name="option_4"') < html.index(MORE_OPTIONS) < html.index('name="option_5"')
    assert 'name="option_20_product"' in html and 'name="option_21"' not in html


def test_the_form_links_options_to_products_by_address_or_slug(client):
    # given two published products and a member
    basket, sambal = ProductFactory(name="Tas Rotan Bulat"), ProductFactory(name="Sambal Roa")
    client.force_login(trusted(MemberFactory()))

    # when they link one option by the product's address and one by its slug
    response = _create(
        client,
        option_1="Basket",
        option_1_product=f"https://shop.example{basket.get_absolute_url()}?ref=x",
        option_2="Sambal",
        option_2_product=sambal.slug,
        option_3="Something else",
    )

    # then the options carry the products, and the poll page links them
    poll = Poll.objects.get()
    assert response.status_code == 302 and response["Location"] == _url(poll)
    linked = [(o.label, o.product_id) for o in poll.options.order_by("position")]
    assert linked == [("Basket", basket.pk), ("Sambal", sambal.pk), ("Something else", None)]
    html = _page(client, poll, MemberFactory())
    assert f'href="{basket.get_absolute_url()}">Tas Rotan Bulat</a>' in html
    assert f'href="{sambal.get_absolute_url()}">Sambal Roa</a>' in html


@pytest.mark.parametrize("case", ["unknown", "unpublished"])
def test_a_bad_product_keeps_everything_typed_with_a_clear_message(client, case):
    # given a product the shop does not show, or none at all
    slug = ProductFactory(is_published=False).slug if case == "unpublished" else "no-such-thing"
    client.force_login(trusted(MemberFactory()))

    # when an option links it
    response = _create(
        client,
        title="Kept question?",
        body_md="Kept *introduction*.",
        option_1="Kept red",
        option_2="Kept green",
        option_2_product=slug,
    )

    # then the form comes back with the message at that option, all typed kept
    html = response.content.decode()
    assert response.status_code == 400
    assert "No product at this address." in html
    assert html.index('name="option_2_product"') < html.index("No product at this address.")
    for kept in ('value="Kept question?"', "Kept *introduction*.", 'value="Kept red"'):
        assert kept in html
    assert f'value="{slug}"' in html
    assert not Poll.objects.exists() and not PollOption.objects.exists()


def test_a_product_without_an_option_label_is_refused(client):
    # given a member who fills only the product of a third option
    client.force_login(trusted(MemberFactory()))

    # when they publish
    response = _create(
        client, option_1="Red", option_2="Green", option_3_product=ProductFactory().slug
    )

    # then they are asked for the label, and nothing is written
    assert response.status_code == 400
    assert "Give this option a label, or leave its product empty." in response.content.decode()
    assert not Poll.objects.exists()


def test_a_later_row_typed_in_stays_open_when_the_form_comes_back(client):
    # given a member who filled the sixth row and left the question empty
    client.force_login(trusted(MemberFactory()))

    # when the form comes back
    html = _create(client, title="", option_1="Red", option_6="Violet").content.decode()

    # then the sixth row is shown before the folded ones, with its text
    assert html.index('value="Violet"') < html.index(MORE_OPTIONS)
    assert not Poll.objects.exists()


def test_the_poll_page_links_only_published_products(client):
    # given a poll whose options link two products, results shown after voting
    shown, withdrawn = ProductFactory(name="Gula Aren Cair"), ProductFactory(name="Kopi Lama")
    poll = poll_make(
        options=[
            OptionInput(label="Sugar", product_id=shown.pk),
            OptionInput(label="Coffee", product_id=withdrawn.pk),
        ],
        results=Poll.Results.ON_VOTE,
    )
    Product.objects.filter(pk=withdrawn.pk).update(is_published=False)
    member = MemberFactory()

    # when a member sees the vote form, then the results
    before = _page(client, poll, member)
    poll_vote(poll=poll, voter=member, option_ids=[_first(poll).pk])
    after = _page(client, poll, member)

    # then both show the published product's link, and never the withdrawn one
    for html in (before, after):
        assert f'href="{shown.get_absolute_url()}">Gula Aren Cair</a>' in html
        assert "Kopi Lama" not in html
    assert VOTE_FORM in before and RESULTS in after


QUERIES_POLL_PAGE = {
    # session, user, poll, options, own votes, standing, voters, 2x profiles, header
    "visitor": 5,
    "member": 10,
    "author": 10,
    "moderator": 12,  # and the permissions
}


@pytest.mark.parametrize("count", [2, 8])
@pytest.mark.parametrize("viewer", list(QUERIES_POLL_PAGE))
def test_the_poll_page_makes_the_same_queries_whatever_its_options_and_products(
    client, django_assert_num_queries, count, viewer
):
    # given a public poll whose every option links a product, with votes
    author = trusted(MemberFactory())
    options = [OptionInput(label=f"Gift {n}", product_id=ProductFactory().pk) for n in range(count)]
    poll = poll_make(author, options=options, public_voters=True)
    for voter in (MemberFactory(), MemberFactory()):
        poll_vote(poll=poll, voter=voter, option_ids=[_first(poll).pk])
    user = {
        "visitor": None,
        "member": MemberFactory(),
        "author": author,
        "moderator": make_moderator(),
    }[viewer]
    _page(client, poll, user)  # warm caches (settings, content types)

    # when the page is shown again
    with django_assert_num_queries(QUERIES_POLL_PAGE[viewer]):
        html = client.get(_url(poll)).content.decode()

    # then every product is linked
    assert html.count('class="poll-option-product small"') == count


# -------------------------------------------------------------------- edit
def _edit_url(poll) -> str:
    return reverse("community:poll_edit", args=[poll.pk])


def test_the_author_edits_the_question_from_the_poll_page_and_the_old_text_is_kept(client):
    # given a poll by its author
    poll = poll_make(title="Which colour?", body_md="Pick one.")
    option_ids = list(poll.options.values_list("pk", flat=True))
    assert f'href="{_edit_url(poll)}"' in _page(client, poll, poll.author)

    # when they reword the question and the introduction
    form = client.get(_edit_url(poll)).content.decode()
    response = client.post(
        _edit_url(poll), {"title": "Which colour first?", "body_md": "Pick **one**."}, follow=True
    )

    # then the poll shows the new text, and a revision keeps the old one
    assert 'value="Which colour?"' in form and "Pick one." in form
    assert response.redirect_chain[-1][0] == _url(poll)
    assert "Your changes are saved." in response.content.decode()
    poll.refresh_from_db()
    assert (poll.title, poll.body_html) == (
        "Which colour first?",
        "<p>Pick <strong>one</strong>.</p>",
    )
    assert poll.edit_count == 1 and poll.edited_at is not None
    revision = Revision.objects.get(object_id=poll.pk, content_type__model="poll")
    assert revision.fields == {"title": "Which colour?", "body_md": "Pick one."}
    assert list(poll.options.values_list("pk", flat=True)) == option_ids


def test_a_moderator_edits_a_members_poll_and_it_is_logged(client):
    # given another member's poll
    poll = poll_make(title="Beli di mana?")
    moderator = make_moderator()

    # when a moderator rewords it from its page
    assert f'href="{_edit_url(poll)}"' in _page(client, poll, moderator)
    client.post(_edit_url(poll), {"title": "Beli di mana saja?", "body_md": ""})

    # then it is changed, and the history says who did it
    poll.refresh_from_db()
    assert poll.title == "Beli di mana saja?"
    action = ModerationAction.objects.get(action=ModerationAction.Action.EDIT)
    assert action.moderator_id == moderator.pk


def test_another_member_cannot_edit_a_poll_and_nothing_is_written(client):
    # given another member's poll
    poll = poll_make(title="Mine?")
    member = MemberFactory()

    # when a member opens the poll, then tries the edit form anyway
    page = _page(client, poll, member)
    shown = client.get(_edit_url(poll), follow=True)
    posted = client.post(_edit_url(poll), {"title": "Theirs?", "body_md": ""}, follow=True)

    # then there is no edit link, each try is refused with a message, nothing written
    assert _edit_url(poll) not in page
    for response in (shown, posted):
        assert response.redirect_chain[-1][0] == _url(poll)
        assert (
            "Only the poll&#x27;s author or a moderator can edit it." in response.content.decode()
        )
    poll.refresh_from_db()
    assert poll.title == "Mine?" and poll.edit_count == 0
    assert not Revision.objects.exists()


def test_the_author_cannot_edit_after_the_edit_window(client):
    # given a poll older than the community's edit window
    settings_row = CommunitySettings.current()
    settings_row.edit_window_minutes = 60
    settings_row.save()
    poll = poll_make(title="Old question?")
    Poll.objects.filter(pk=poll.pk).update(created_at=timezone.now() - timedelta(hours=2))

    # when its author opens the page and posts the form anyway
    page = _page(client, poll, poll.author)
    response = client.post(_edit_url(poll), {"title": "New question?", "body_md": ""}, follow=True)

    # then there is no edit link, the post is refused with a message, nothing written
    assert _edit_url(poll) not in page
    assert "You can no longer edit this poll." in response.content.decode()
    poll.refresh_from_db()
    assert poll.title == "Old question?" and not Revision.objects.exists()


def test_an_empty_question_keeps_the_edit_form_with_a_message(client):
    # given the author on the edit form
    poll = poll_make(title="Kept?")
    client.force_login(poll.author)

    # when they empty the question
    response = client.post(_edit_url(poll), {"title": "  ", "body_md": "New text."})

    # then the form comes back with the text typed, and nothing is written
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html and "New text." in html
    poll.refresh_from_db()
    assert poll.title == "Kept?" and poll.body_md == "" and not Revision.objects.exists()
