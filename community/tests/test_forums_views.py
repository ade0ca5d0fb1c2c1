from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from community.models import ContentStatus, Post, PostLike, ThreadRead
from community.services import forums as services
from community.services.members import member_profile
from community.tests.factories import make_moderator
from community.tests.forums_factories import ForumCategoryFactory, member, reply_make, thread_make
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _count(client, url: str) -> int:
    cache.clear()  # a cold cache: the worst case
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _thread_with(replies: int, *, product=None):
    thread = thread_make(product=product)
    repliers = [member() for _ in range(3)]
    for n in range(replies):
        post = reply_make(thread, author=repliers[n % 3], body=f"Reply {n}")
        services.post_like(post=post, user=thread.author)
    return thread


def test_thread_page_queries_do_not_grow_with_posts(client):
    product = ProductFactory()
    small, large = _thread_with(1, product=product), _thread_with(19, product=product)
    reader = member()
    client.force_login(reader)
    client.get(small.get_absolute_url())  # first views create the profile rows
    client.get(large.get_absolute_url())
    assert _count(client, small.get_absolute_url()) == _count(client, large.get_absolute_url())


def test_thread_page_for_a_visitor_and_a_moderator_is_constant_too(client):
    small, large = _thread_with(1), _thread_with(19)
    assert _count(client, small.get_absolute_url()) == _count(client, large.get_absolute_url())
    client.force_login(make_moderator())
    client.get(small.get_absolute_url())  # the session and read positions are written once
    client.get(large.get_absolute_url())
    assert _count(client, small.get_absolute_url()) == _count(client, large.get_absolute_url())


def test_a_cached_thread_page_costs_fewer_queries_than_a_cold_one(client):
    thread = _thread_with(5)
    client.force_login(member())
    cold = _count(client, thread.get_absolute_url())
    with CaptureQueriesContext(connection) as warm:
        client.get(thread.get_absolute_url())
    assert len(warm) < cold


def test_category_page_queries_do_not_grow_with_threads(client):
    small, large = ForumCategoryFactory(), ForumCategoryFactory()
    for category, count in ((small, 2), (large, 10)):
        for n in range(count):
            thread = thread_make(category=category, title=f"Thread number {n}", tags=["tea"])
            reply_make(thread)
    reader = member()
    client.force_login(reader)
    # the reader has read some threads of each
    for category in (small, large):
        for thread in category.threads.all()[:2]:
            services.thread_read_mark(thread=thread, user=reader, number=1)
    assert _count(client, small.get_absolute_url()) == _count(client, large.get_absolute_url())


def test_the_thread_page_shows_posts_likes_and_the_members_own_buttons(client):
    thread = thread_make(title="Sambal recipes", body="Opening words")
    mine = reply_make(thread, body="My own reply")
    other = reply_make(thread, body="Someone else")
    services.post_like(post=other, user=mine.author)
    client.force_login(mine.author)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert 'id="post-1"' in html and 'id="post-3"' in html
    assert html.count('aria-pressed="true"') >= 1  # the like they gave
    assert reverse("community:forum_post_edit", args=[mine.pk]) in html
    assert reverse("community:forum_post_edit", args=[other.pk]) not in html
    assert ThreadRead.objects.get(user=mine.author, thread=thread).last_read_post_number == 3


def test_verified_owner_badge_shows_on_buyers_posts(client):
    from community.tests.forums_factories import paid_order_for

    product = ProductFactory()
    buyer = member()
    paid_order_for(buyer, product)
    thread = thread_make(product=product)
    reply_make(thread, author=buyer, body="I own it")
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Verified owner" in html


def test_like_without_javascript_redirects_and_with_htmx_swaps_the_button(client):
    thread = thread_make()
    post = Post.objects.get(thread=thread)
    liker = member()
    client.force_login(liker)
    url = reverse("community:forum_post_like", args=[post.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert PostLike.objects.filter(post=post, user=liker).exists()
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'aria-pressed="false"' in response.content.decode()
    assert not PostLike.objects.filter(post=post, user=liker).exists()


def test_a_like_refused_says_why_and_writes_nothing(client):
    thread = thread_make()
    post = Post.objects.get(thread=thread)
    client.force_login(thread.author)
    response = client.post(
        reverse("community:forum_post_like", args=[post.pk]), HTTP_HX_REQUEST="true"
    )
    assert "You cannot like your own post." in response.content.decode()
    assert not PostLike.objects.exists()


def test_replying_through_the_form_and_to_a_locked_thread(client):
    thread = thread_make()
    client.force_login(member())
    url = reverse("community:forum_reply", args=[thread.pk])
    response = client.post(url, {"body": "Great idea"})
    assert response.status_code == 302 and response["Location"].endswith("#post-2")
    services.thread_lock(thread=thread, moderator=make_moderator())
    response = client.post(url, {"body": "Another one"})
    assert response.status_code == 403
    assert "locked" in response.content.decode()
    assert Post.objects.filter(thread=thread).count() == 2


def test_quote_prefills_the_reply_with_the_quoted_text_and_attribution(client):
    thread = thread_make(body="Roast the chillies")
    client.force_login(member())
    html = client.get(thread.get_absolute_url() + "?quote=1").content.decode()
    handle = member_profile(user=thread.author).handle
    assert f"@{handle} wrote:\n&gt; Roast the chillies" in html


def test_editing_another_members_post_through_the_site_is_refused(client):
    thread = thread_make(body="Mine")
    client.force_login(member())
    post = Post.objects.get(thread=thread)
    response = client.post(
        reverse("community:forum_post_edit", args=[post.pk]), {"body": "Yours now"}
    )
    assert response.status_code == 400 and "your own" in response.content.decode()
    post.refresh_from_db()
    assert post.body_md == "Mine"


def test_a_hidden_thread_is_a_404_for_others(client):
    thread = thread_make()
    from community.services.moderation import content_hide

    content_hide(content=Post.objects.get(thread=thread), moderator=make_moderator())
    client.force_login(member())
    assert client.get(thread.get_absolute_url()).status_code == 404
    client.force_login(thread.author)
    assert client.get(thread.get_absolute_url()).status_code == 200


def test_new_thread_form_creates_a_thread_and_shows_errors(client):
    category = ForumCategoryFactory()
    client.force_login(member())
    url = reverse("community:forum_thread_new")
    response = client.post(url, {"category": category.slug, "title": "Hi", "body": "x"})
    assert response.status_code == 400 and "at least 5" in response.content.decode()
    response = client.post(
        url, {"category": category.slug, "title": "Kopi tubruk", "body": "Caranya?", "tags": "kopi"}
    )
    assert response.status_code == 302
    assert category.threads.get().title == "Kopi tubruk"


def test_forums_index_and_search_pages(client):
    thread = thread_make(title="Lerak for batik", body="Wash it in cold water")
    assert thread.category.name in client.get(reverse("community:forum_index")).content.decode()
    html = client.get(reverse("community:forum_search") + "?q=cold").content.decode()
    assert "Lerak for batik" in html
    assert Post.objects.get(thread=thread).status == ContentStatus.PUBLISHED


def test_search_results_show_the_text_escaped_once(client):
    thread_make(title="Sambal & salt", body="Use `<b>` & **cold** water, 2 > 1")
    html = client.get(reverse("community:forum_search") + "?q=cold").content.decode()
    # The excerpt is the text the post shows: its markup gone, each special
    # character escaped once (not "&amp;lt;", which reads as "&lt;").
    assert "Use &lt;b&gt; &amp; cold water, 2 &gt; 1" in html
    assert "&amp;lt;" not in html and "&amp;amp;" not in html
    assert "<b>" not in html.split('class="forum-results"')[1]


def test_a_post_number_link_goes_to_its_page():
    thread = thread_make()
    for _ in range(21):
        reply_make(thread)
    from community.selectors.forums import post_url

    assert post_url(Post.objects.get(thread=thread, number=22)).endswith("?page=2#post-22")


def test_a_change_orphans_the_shared_posts_cache(client, django_capture_on_commit_callbacks):
    thread = thread_make()
    post = reply_make(thread, body="Before the edit")
    client.force_login(member())
    assert "Before the edit" in client.get(thread.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_edit(post=post, editor=post.author, body="After the edit")
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "After the edit" in html and "edited" in html


def test_unread_markers_and_the_jump_to_the_first_unread_post(client):
    thread = thread_make(title="Kopi pagi ini")
    reader = member()
    services.thread_read_mark(thread=thread, user=reader, number=1)
    for _ in range(3):
        reply_make(thread)
    client.force_login(reader)
    html = client.get(thread.category.get_absolute_url()).content.decode()
    assert "3 new" in html and "?n=2" in html
    html = client.get(thread.get_absolute_url()).content.decode()
    assert 'data-first-unread="2"' in html
    response = client.get(thread.get_absolute_url() + "?n=2")
    assert response.status_code == 302 and response["Location"].endswith("#post-2")
    # the view marked everything read
    html = client.get(thread.category.get_absolute_url()).content.decode()
    assert "3 new" not in html


def test_a_new_members_pending_reply_is_shown_to_them_only(client):
    from community.models import CommunitySettings
    from community.tests.factories import NewMemberFactory

    rules = CommunitySettings.current()
    rules.new_require_approval = True
    rules.save()
    thread = thread_make()
    newcomer = NewMemberFactory()
    client.force_login(newcomer)
    response = client.post(
        reverse("community:forum_reply", args=[thread.pk]), {"body": "Halo semua"}, follow=True
    )
    html = response.content.decode()
    assert "Halo semua" in html and "Waiting for a moderator" in html
    client.force_login(member())
    assert "Halo semua" not in client.get(thread.get_absolute_url()).content.decode()


def test_a_thread_started_from_a_product_is_about_it(client):
    product = ProductFactory(name="Kopi Gayo")
    category = ForumCategoryFactory()
    client.force_login(member())
    url = reverse("community:forum_thread_new") + f"?product={product.pk}"
    assert "About: Kopi Gayo" in client.get(url).content.decode()
    client.post(
        url,
        {"category": category.slug, "title": "Gayo grind size", "body": "?", "product": product.pk},
    )
    assert category.threads.get().product_id == product.pk


@pytest.fixture
def indonesian_wrote():
    """The lead translates new messages: until then, an Indonesian line for
    the attribution, in Django's catalog for this test."""
    catalogs = trans_real.translation("id")._catalog._catalogs
    catalogs[0]["%(who)s wrote:"] = "%(who)s menulis:"
    yield
    catalogs[0].pop("%(who)s wrote:", None)


def _quoting_thread():
    quoted = member()
    thread = thread_make(author=quoted, body="Roast the chillies")
    handle = member_profile(user=quoted).handle
    text = services.quote_text(body_md="Roast the chillies", handle=handle)
    reply_make(thread, body=text + "Agreed!")
    return thread, handle


def test_a_quotes_attribution_is_shown_in_the_readers_language(client, indonesian_wrote):
    # given a reply quoting the thread's first post
    thread, handle = _quoting_thread()
    # when an English and an Indonesian reader open the thread
    english = client.get(thread.get_absolute_url()).content.decode()
    with translation.override("id"):
        url = thread.get_absolute_url()
    indonesian = client.get(url).content.decode()
    # then each reads the attribution in their language
    assert f">@{handle}</a> wrote:</p>" in english
    assert f">@{handle}</a> menulis:</p>" in indonesian
    assert "wrote:" not in indonesian


def test_a_post_stored_with_the_english_attribution_is_shown_in_the_readers_language(
    client, indonesian_wrote
):
    # given a reply rendered before attributions were stored without words
    thread, handle = _quoting_thread()
    post = Post.objects.get(thread=thread, number=2)
    legacy = post.body_html.replace('<p class="forum-quote-by">', "<p>", 1).replace(
        "</a></p>", "</a> wrote:</p>", 1
    )
    Post.objects.filter(pk=post.pk).update(body_html=legacy)
    cache.clear()
    # when an Indonesian reader opens the thread
    with translation.override("id"):
        url = thread.get_absolute_url()
    html = client.get(url).content.decode()
    # then
    assert '<p class="forum-quote-by"><a class="mention" href="' in html
    assert f">@{handle}</a> menulis:</p>" in html
    assert "wrote:" not in html


def test_the_api_gives_a_quotes_attribution_with_its_words(client):
    # given
    thread, handle = _quoting_thread()
    # when (the API speaks the site's default language)
    body = client.get(f"/api/v1/community/forums/threads/{thread.pk}/posts/").json()
    # then
    [_, reply] = body["results"]
    assert f">@{handle}</a> wrote:</p>" in reply["body_html"]
