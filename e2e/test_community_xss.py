"""The XSS corpus (e2e/xss.py) posted by members through every community
form in Chromium and through the API, then every page that shows it opened:
no dialog opens, the member content holds nothing that could run script,
and the one-line payloads read as plain text.

One test per kind of content, so a failure names the kind. The page cache
is on, as in production: the stored pages and the holes filled into them
are what visitors get."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from accounts.services import api_token_create
from accounts.tests.factories import PASSWORD
from community.models import (
    Answer,
    CommunitySettings,
    Poll,
    Question,
    QueueItem,
    Review,
    Thread,
    TrustLevel,
)
from community.services.forums import post_reply
from community.services.members import member_profile
from community.services.qa import question_ask
from community.services.reviews import review_create
from community.tests.factories import MemberFactory, make_moderator, trusted
from community.tests.forums_factories import ForumCategoryFactory
from e2e.helpers import Authenticator
from e2e.xss import (
    ALL_BODIES,
    BODY_PAYLOADS,
    LINE_PAYLOADS,
    DialogWatch,
    inert_problems,
    markup_problems,
)
from shop.tests.factories import ProductFactory, category_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Every body payload in one text. The code span comes first and the ones that
# open a tag they never close last: this order dates from when whatever
# followed an unclosed tag was taken as raw HTML and dropped by the sanitizer;
# such tags now show as text (core/markdown.py), so it no longer matters.
_UNCLOSED = ("<mglyph>", "<body ")
BODY = "\n\n".join(
    sorted(
        BODY_PAYLOADS,
        key=lambda p: 0 if p.endswith(" in code") else 2 if any(t in p for t in _UNCLOSED) else 1,
    )
)
assert sorted(BODY.split("\n\n")) == sorted(ALL_BODIES.split("\n\n"))
# What the bodies must still show as text once sanitized: a payload inside
# a code span, and a link's words (its javascript: target dropped).
BODY_SHOWS = ["<script>window.__xss=22</script>", "click me"]
# A plain-text field (the bio) gets the one-line payloads and some of the
# body ones, within its 500 characters.
BIO = "\n".join([*LINE_PAYLOADS, '<img src=x onerror="window.__xss=2;alert(2)">'])

REVIEWS = "#reviews .review-title, #reviews .review-body, #reviews .review-byline"
REVIEW_PAGE = ".review-title, .review-body, .review-byline"
QUESTIONS_SECTION = "#questions .qa-section-list, #questions .qa-own"
THREAD_PAGE = ".forum-header h1, .forum-post-header, .forum-post-body"
QUESTION_PAGE = (
    "#question-title, .qa-question .prose, .qa-question .byline,"
    " .qa-answer .prose, .qa-answer .byline"
)
POLL_PAGE = ".poll-header, .poll-body, .poll-results"
LANDING = ".community-landing .activity-list"
PROFILE = ".member-header, .member-activity"
NOTIFICATIONS = ".notification-link"
SEARCH = ".forum-results"
ADMIN = "div.readonly"


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


@pytest.fixture(autouse=True)
def _no_rate_limits(transactional_db):
    rules = CommunitySettings.current()
    rules.seconds_between_posts = 0
    rules.flags_to_hide = 100  # flagged for the queue, still public
    rules.save()


# ------------------------------------------------------------------ helpers
def _session_cookie(live_server, client: Client) -> dict:
    return {
        "name": django_settings.SESSION_COOKIE_NAME,
        "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _sign_in(page: Page, live_server, user) -> None:
    page.context.clear_cookies()
    client = Client()
    client.force_login(user)
    page.context.add_cookies([_session_cookie(live_server, client)])


def _member(name: str):
    return trusted(MemberFactory(display_name=name), TrustLevel.MEMBER)


class Api:
    """The community API as a client program uses it: a token, JSON, HTTP."""

    opened: list = []  # request contexts, disposed after each test

    def __init__(self, playwright, live_server, user) -> None:
        _token, key = api_token_create(user=user, name="xss")
        self.request = playwright.request.new_context(
            base_url=live_server.url, extra_http_headers={"Authorization": f"Token {key}"}
        )
        Api.opened.append(self.request)

    def send(self, method: str, path: str, data: dict, *, expected: int = 201) -> dict:
        response = self.request.fetch("/api/v1/" + path, method=method, data=data)
        assert response.status == expected, f"{method} {path}: {response.status} {response.text()}"
        return response.json()


class Checker:
    """Opens pages in one tab and asserts the member content on each is inert."""

    def __init__(self, page: Page, live_server) -> None:
        self.page = page
        self.base = live_server.url
        self.dialogs = DialogWatch(page)

    def check(self, url: str, selector: str, *, shows=(), some_of=()) -> None:
        """`shows`: texts the member content holds; `some_of`: texts of which
        it holds at least two (a list showing only the latest few)."""
        page = self.page
        response = page.goto(self.base + url if url.startswith("/") else url)
        assert response is not None and response.status == 200, f"{url}: {response.status}"
        expect(page.locator(selector).first).to_be_attached()
        for text in shows:
            expect(page.locator(selector).filter(has_text=text).first).to_be_attached()
        if some_of:
            expect(page.locator(selector).first).to_contain_text(re.compile("."))
            found = [t for t in some_of if page.locator(selector).filter(has_text=t).count()]
            assert len(found) >= 2, f"{url}: only {found} of {some_of}"
        problems = inert_problems(page, selector)
        assert not problems, f"{url} ({selector}): {problems}"
        assert not self.dialogs.opened, f"{url}: dialogs {self.dialogs.opened}"

    def check_title(self, url: str, text: str) -> None:
        """The page's <title> holds the payload as text (it did not close it)."""
        self.page.goto(self.base + url)
        assert text in self.page.title(), f"{url}: title {self.page.title()!r}"
        assert not inert_problems(self.page, None), url


def _moderator_client(moderator) -> Client:
    """A session that passed two-factor authentication (the admin wants it)."""
    secret = generate_totp_secret()
    TOTP.activate(moderator, secret)
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": moderator.email, "password": PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    response = client.post(
        reverse("mfa_authenticate"), {"code": Authenticator(secret).fresh_code()}
    )
    assert response.status_code == 302
    return client


def _flag_and_check_queue(
    playwright, browser: Browser, live_server, *, kind: str, content_id: int, shows: str
):
    """A member flags the content through the API with a payload as the
    note; a moderator opens the queue item in the admin."""
    flagger = _member(LINE_PAYLOADS[1])
    Api(playwright, live_server, flagger).send(
        "POST",
        "community/flags/",
        {"kind": kind, "id": content_id, "reason": "spam", "note": LINE_PAYLOADS[0]},
    )
    item = QueueItem.objects.get(kind=kind, object_id=content_id, state=QueueItem.State.OPEN)
    moderator = make_moderator(email="mod@example.com")
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies([_session_cookie(live_server, _moderator_client(moderator))])
    admin = Checker(context.new_page(), live_server)
    admin.check(
        f"/admin/community/queueitem/{item.pk}/change/", ADMIN, shows=[shows, LINE_PAYLOADS[0]]
    )
    context.close()


# -------------------------------------------------------------------- kinds
def _reviews(page, browser, live_server, playwright, checker: Checker):
    products = [
        ProductFactory(name=f"Kopi {n}", category=category_create(f"Kopi {n}"))
        for n in range(len(LINE_PAYLOADS))
    ]
    by_form, by_api = _member("Siti Rahma"), _member("Budi Santoso")
    api = Api(playwright, live_server, by_api)
    _sign_in(page, live_server, by_form)
    for product, title in zip(products, LINE_PAYLOADS, strict=True):
        page.goto(checker.base + reverse("community:review_write", args=[product.slug]))
        page.locator('input[name="stars"][value="4"]').check()
        page.get_by_label("Title").fill(title)
        page.get_by_label("Your review").fill(BODY)
        page.get_by_role("button", name="Post review").click()
        expect(page.get_by_text("Thank you for your review")).to_be_visible()
        api.send(
            "POST",
            f"community/products/{product.slug}/reviews/",
            {"stars": 3, "title": title, "body": BODY},
        )
    assert Review.objects.filter(status="published").count() == 2 * len(products)

    for product, title in zip(products, LINE_PAYLOADS, strict=True):
        checker.check(product.get_absolute_url(), REVIEWS, shows=[title, *BODY_SHOWS])
        checker.check(
            reverse("community:review_list", args=[product.slug]),
            REVIEW_PAGE,
            shows=[title, *BODY_SHOWS],
        )
    for review in Review.objects.all():
        checker.check(review.get_absolute_url(), REVIEW_PAGE, shows=[review.title, *BODY_SHOWS])
    checker.check_title(
        Review.objects.filter(title=LINE_PAYLOADS[3]).first().get_absolute_url(), LINE_PAYLOADS[3]
    )
    checker.check(reverse("community:index"), LANDING, some_of=LINE_PAYLOADS)
    for author in (by_form, by_api):
        checker.check(
            reverse("community:profile", args=[member_profile(user=author).handle]),
            PROFILE,
        )
    review = Review.objects.filter(author=by_api).first()
    _flag_and_check_queue(
        playwright, browser, live_server, kind="review", content_id=review.pk, shows=review.title
    )


def _threads(page, browser, live_server, playwright, checker: Checker):
    category = ForumCategoryFactory(name="Recipes", slug="recipes")
    by_form, by_api, replier = _member("Dewi Lestari"), _member("Agus Pratama"), _member("Rina")
    api = Api(playwright, live_server, by_api)
    _sign_in(page, live_server, by_form)
    for title in LINE_PAYLOADS:
        page.goto(checker.base + reverse("community:forum_thread_new") + "?category=recipes")
        page.get_by_label("Title").fill(title)
        page.get_by_label("Text", exact=True).fill(BODY)
        page.get_by_role("button", name="Start thread").click()
        expect(page.locator(".forum-header h1")).to_have_text(title)
        api.send(
            "POST",
            "community/forums/threads/",
            {"category": "recipes", "title": title, "body": BODY},
        )
    threads = list(Thread.objects.all())
    assert len(threads) == 2 * len(LINE_PAYLOADS)
    for thread in threads:
        # a reply: the starter is told about it, with the thread's title
        post_reply(author=replier, thread=thread, body="Nice.")

    for thread in threads:
        checker.check(thread.get_absolute_url(), THREAD_PAGE, shows=[thread.title, *BODY_SHOWS])
    checker.check_title(threads[-1].get_absolute_url(), threads[-1].title)
    checker.check(category.get_absolute_url(), ".forum-threads", shows=LINE_PAYLOADS)
    checker.check(
        reverse("community:forum_search") + "?q=click", SEARCH, shows=[*LINE_PAYLOADS, *BODY_SHOWS]
    )
    checker.check(reverse("community:index"), LANDING, some_of=LINE_PAYLOADS)
    for author in (by_form, by_api):
        checker.check(
            reverse("community:profile", args=[member_profile(user=author).handle]),
            PROFILE,
        )
        _sign_in(page, live_server, author)
        checker.check(reverse("notifications:list"), NOTIFICATIONS, shows=LINE_PAYLOADS)
    opening = threads[-1].posts.get(number=1)
    _flag_and_check_queue(
        playwright,
        browser,
        live_server,
        kind="post",
        content_id=opening.pk,
        shows=threads[-1].title,
    )


def _replies(page, browser, live_server, playwright, checker: Checker):
    ForumCategoryFactory(name="Recipes", slug="recipes")
    starter, by_form, by_api = _member("Dewi Lestari"), _member("Agus Pratama"), _member("Rina")
    thread = Api(playwright, live_server, starter).send(
        "POST",
        "community/forums/threads/",
        {"category": "recipes", "title": "Sambal in a cobek", "body": "Roast first."},
    )
    url = thread["url"]
    _sign_in(page, live_server, by_form)
    page.goto(checker.base + url)
    page.get_by_label("Your reply").fill(BODY)
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator("#post-2")).to_contain_text("click me")
    reply = Api(playwright, live_server, by_api).send(
        "POST", f"community/forums/threads/{thread['id']}/posts/", {"body": BODY, "reply_to": 2}
    )
    assert markup_problems(reply["body_html"]) == []

    checker.check(url, THREAD_PAGE, shows=BODY_SHOWS)
    expect(checker.page.locator(".forum-post-body")).to_have_count(3)
    checker.check(reverse("community:forum_search") + "?q=click", SEARCH, shows=BODY_SHOWS)
    _sign_in(page, live_server, starter)
    checker.check(reverse("notifications:list"), NOTIFICATIONS, shows=["Sambal in a cobek"])
    _flag_and_check_queue(
        playwright, browser, live_server, kind="post", content_id=reply["id"], shows="click me"
    )


def _questions(page, browser, live_server, playwright, checker: Checker):
    product = ProductFactory(name="Kopi Gayo", category=category_create("Kopi"))
    by_form, by_api = _member("Siti Asker"), _member("Budi Asker")
    api = Api(playwright, live_server, by_api)
    _sign_in(page, live_server, by_form)
    for title in LINE_PAYLOADS:
        page.goto(checker.base + product.get_absolute_url())
        section = page.locator("#questions")
        if section.locator("details.qa-ask").get_attribute("open") is None:
            section.locator("summary", has_text="Ask a question").click()
        section.get_by_label("Your question").fill(title)
        section.get_by_label("Details (optional)").fill(BODY)
        section.get_by_role("button", name="Post your question").click()
        expect(page.get_by_text("Your question is posted.")).to_be_visible()
        api.send(
            "POST", "community/questions/", {"title": title, "body": BODY, "product": product.slug}
        )
    questions = list(Question.objects.all())
    assert len(questions) == 2 * len(LINE_PAYLOADS)

    checker.check(product.get_absolute_url(), QUESTIONS_SECTION, some_of=LINE_PAYLOADS)
    for question in questions:
        checker.check(
            question.get_absolute_url(), QUESTION_PAGE, shows=[question.title, *BODY_SHOWS]
        )
    checker.check_title(questions[0].get_absolute_url(), questions[0].title)
    checker.check(reverse("community:questions"), ".qa-list", shows=LINE_PAYLOADS)
    checker.check(reverse("community:index"), LANDING, some_of=LINE_PAYLOADS)
    for author in (by_form, by_api):
        checker.check(
            reverse("community:profile", args=[member_profile(user=author).handle]),
            PROFILE,
        )
    _flag_and_check_queue(
        playwright,
        browser,
        live_server,
        kind="question",
        content_id=questions[0].pk,
        shows=questions[0].title,
    )


def _answers(page, browser, live_server, playwright, checker: Checker):
    product = ProductFactory(name="Kopi Gayo", category=category_create("Kopi"))
    asker, by_form, by_api = _member("Siti Asker"), _member("Budi"), _member("Agus")
    question = question_ask(author=asker, title="Is it good for a moka pot?", product=product)
    _sign_in(page, live_server, by_form)
    page.goto(checker.base + question.get_absolute_url())
    page.get_by_role("textbox", name="Answer").fill(BODY)
    page.get_by_role("button", name="Post your answer").click()
    expect(page.get_by_text("Your answer is posted.")).to_be_visible()
    Api(playwright, live_server, by_api).send(
        "POST", f"community/questions/{question.pk}/answers/", {"body": BODY}
    )
    assert Answer.objects.filter(status="published").count() == 2

    checker.check(question.get_absolute_url(), QUESTION_PAGE, shows=BODY_SHOWS)
    expect(checker.page.locator("article.qa-answer")).to_have_count(2)
    checker.check(product.get_absolute_url(), QUESTIONS_SECTION, shows=["click me"])
    _sign_in(page, live_server, asker)
    checker.check(reverse("notifications:list"), NOTIFICATIONS, shows=["moka pot"])
    answer = Answer.objects.get(author=by_api)
    _flag_and_check_queue(
        playwright, browser, live_server, kind="answer", content_id=answer.pk, shows="click me"
    )


def _polls(page, browser, live_server, playwright, checker: Checker):
    by_form, by_api = _member("Dewi Lestari"), _member("Agus Pratama")
    api = Api(playwright, live_server, by_api)
    _sign_in(page, live_server, by_form)
    for title in LINE_PAYLOADS:
        page.goto(checker.base + reverse("community:poll_create"))
        page.get_by_label("Question").fill(title)
        page.get_by_label("Introduction (optional)").fill(BODY)
        for number, payload in enumerate(LINE_PAYLOADS, start=1):
            page.get_by_label(f"Option {number}", exact=True).fill(payload)
        page.get_by_role("button", name="Publish poll").click()
        expect(page.locator(".poll-title")).to_have_text(title)
        api.send(
            "POST",
            "community/polls/",
            {"title": title, "body": BODY, "options": [{"label": p} for p in LINE_PAYLOADS]},
        )
    polls = list(Poll.objects.all())
    assert len(polls) == 2 * len(LINE_PAYLOADS)

    for poll in polls:
        checker.check(
            poll.get_absolute_url(), POLL_PAGE, shows=[poll.title, *LINE_PAYLOADS, *BODY_SHOWS]
        )
    checker.check_title(polls[0].get_absolute_url(), polls[0].title)
    checker.check(reverse("community:polls"), POLL_PAGE, shows=LINE_PAYLOADS)
    checker.check(reverse("community:index"), LANDING, some_of=LINE_PAYLOADS)
    for author in (by_form, by_api):
        checker.check(
            reverse("community:profile", args=[member_profile(user=author).handle]),
            PROFILE,
        )
    _flag_and_check_queue(
        playwright, browser, live_server, kind="poll", content_id=polls[0].pk, shows=polls[0].title
    )


def _profiles(page, browser, live_server, playwright, checker: Checker):
    """Display names show in every byline; the bio on the profile."""
    product = ProductFactory(name="Kopi Gayo", category=category_create("Kopi"))
    ForumCategoryFactory(name="Recipes", slug="recipes")
    starter = _member("Dewi Lestari")
    thread = Api(playwright, live_server, starter).send(
        "POST",
        "community/forums/threads/",
        {"category": "recipes", "title": "Sambal in a cobek", "body": "Roast first."},
    )
    thread_obj = Thread.objects.get(pk=thread["id"])
    members = []
    for n, name in enumerate(LINE_PAYLOADS):
        for channel in ("form", "api"):
            member = _member(f"Member {n} {channel}")
            if channel == "form":
                _sign_in(page, live_server, member)
                page.goto(checker.base + reverse("accounts:profile"))
                page.locator("#id_display_name").fill(name)
                page.locator("#id_bio").fill(BIO)
                page.get_by_role("button", name=re.compile(r"^save", re.I)).click()
                expect(page.get_by_text("Your profile was saved.")).to_be_visible()
            else:
                Api(playwright, live_server, member).send(
                    "PATCH", "me/", {"display_name": name, "bio": BIO}, expected=200
                )
            member.refresh_from_db()
            assert member.display_name == name
            post_reply(author=member, thread=thread_obj, body=f"Reply {n} {channel}.")
            review_create(
                user=member, product=product, stars=5, title=f"Good {n} {channel}", body="Yes."
            )
            members.append(member)

    for member in members:
        checker.check(
            reverse("community:profile", args=[member_profile(user=member).handle]),
            PROFILE,
            shows=[member.display_name, *LINE_PAYLOADS],
        )
    checker.check_title(
        reverse("community:profile", args=[member_profile(user=members[-1]).handle]),
        members[-1].display_name,
    )
    checker.check(thread["url"], THREAD_PAGE, shows=LINE_PAYLOADS)
    checker.check(product.get_absolute_url(), REVIEWS, some_of=LINE_PAYLOADS)
    checker.check(
        reverse("community:review_list", args=[product.slug]), REVIEW_PAGE, shows=LINE_PAYLOADS
    )
    checker.check(reverse("community:forum_search") + "?q=reply", SEARCH, shows=LINE_PAYLOADS)
    _sign_in(page, live_server, starter)
    checker.check(reverse("notifications:list"), NOTIFICATIONS, shows=LINE_PAYLOADS)
    review = Review.objects.filter(author=members[-1]).get()
    _flag_and_check_queue(
        playwright, browser, live_server, kind="review", content_id=review.pk, shows=review.title
    )


KINDS = {
    "review": _reviews,
    "thread": _threads,
    "reply": _replies,
    "question": _questions,
    "answer": _answers,
    "poll": _polls,
    "profile": _profiles,
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_payloads_stay_inert_everywhere_they_show(
    kind: str, page: Page, browser: Browser, live_server, playwright, browser_problems
):
    checker = Checker(page, live_server)
    try:
        KINDS[kind](page, browser, live_server, playwright, checker)
    finally:
        while Api.opened:
            Api.opened.pop().dispose()
    assert not checker.dialogs.opened
