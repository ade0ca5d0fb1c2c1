from __future__ import annotations

import struct
import zlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from community.events import MerchantReplied, ReviewPublished, ReviewVoted
from community.models import (
    ContentStatus,
    MemberProfile,
    ProductRating,
    Review,
    ReviewPhoto,
    ReviewReplyRevision,
    ReviewVote,
    Revision,
)
from community.services import moderation
from community.services.members import member_restrict
from community.services.reviews import (
    review_create,
    review_edit,
    review_reply,
    review_vote,
    review_vote_withdraw,
)
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    image_upload,
    make_moderator,
    paid_order,
    review_write,
    trusted,
)
from core.exceptions import ApplicationError
from core.models import OutboxEvent
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _member():
    """An established member (trust level Member): publishes at once."""
    return trusted(MemberFactory(), 2)


def _events(event_type) -> list[dict]:
    return [
        e.payload
        for e in OutboxEvent.objects.filter(event_type=event_type.event_type).order_by("created_at")
    ]


def _rating(product) -> ProductRating:
    return ProductRating.objects.get(product=product)


# ------------------------------------------------------------------ create
def test_a_buyer_s_review_is_verified_published_and_counted():
    # given
    buyer, product = _member(), ProductFactory()
    paid_order(buyer, product)

    # when
    review = review_write(buyer, product, stars=4)

    # then
    assert review.verified_buyer
    assert review.status == ContentStatus.PUBLISHED
    rating = _rating(product)
    assert (rating.count, rating.sum, rating.avg, rating.stars_4) == (1, 4, Decimal("4.00"), 1)
    [event] = _events(ReviewPublished)
    assert event["review_id"] == review.pk and event["verified_buyer"] is True


def test_a_non_buyer_is_never_verified_and_cannot_say_so():
    # given: an order that is not paid is no purchase
    member, product = _member(), ProductFactory()
    paid_order(member, product, status="pending_payment")

    # when: even a caller passing the flag cannot set it
    with pytest.raises(TypeError):
        review_create(
            user=member, product=product, stars=5, title="t", body="b", verified_buyer=True
        )
    review = review_write(member, product)

    # then
    assert review.verified_buyer is False
    assert Review.objects.filter(verified_buyer=True).count() == 0


def test_a_second_review_of_the_same_product_is_refused_with_a_message():
    member, product = _member(), ProductFactory()
    review_write(member, product, title="First")

    with pytest.raises(ApplicationError) as error:
        review_write(member, product, title="Second")

    assert "already reviewed" in error.value.message
    assert list(Review.objects.values_list("title", flat=True)) == ["First"]
    assert _rating(product).count == 1


@pytest.mark.parametrize(
    ("stars", "title", "body", "message"),
    [
        (0, "Title", "Body", "1 to 5 stars"),
        (6, "Title", "Body", "1 to 5 stars"),
        ("five", "Title", "Body", "1 to 5 stars"),
        (5, "   ", "Body", "Title cannot be empty"),
        (5, "Title", "", "Review cannot be empty"),
        (5, "x" * 121, "Body", "Title can be at most 120 characters"),
        (5, "Title", "x" * 5001, "Review can be at most 5000 characters"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(stars, title, body, message):
    member, product = _member(), ProductFactory()

    with pytest.raises(ApplicationError) as error:
        review_create(user=member, product=product, stars=stars, title=title, body=body)

    assert message in error.value.message
    assert not Review.objects.exists()
    assert not ProductRating.objects.exists()
    assert not OutboxEvent.objects.exists()
    assert not MemberProfile.objects.filter(user=member, posts_today__gt=0).exists()


def _bomb_png(width: int, height: int) -> bytes:
    """A PNG header claiming a huge image (the pixels are never there)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("fake.jpg", b"this is text, not a picture", "image/jpeg"),
            "not a valid image",
        ),
        (SimpleUploadedFile("bomb.png", _bomb_png(30000, 30000), "image/png"), "too many pixels"),
        (image_upload("big.jpg", size=(400, 400)), "too large"),
    ],
    ids=["text-renamed-jpg", "decompression-bomb-header", "oversized"],
)
@override_settings(REVIEW_PHOTO_MAX_BYTES=2000)
def test_a_bad_photo_is_refused_with_its_name_and_nothing_written(upload, message):
    member, product = _member(), ProductFactory()

    with pytest.raises(ApplicationError) as error:
        review_create(user=member, product=product, stars=5, title="T", body="B", photos=[upload])

    assert message in error.value.message
    assert upload.name in error.value.message
    assert not Review.objects.exists() and not ReviewPhoto.objects.exists()


def test_photos_are_re_encoded_without_exif_and_counted():
    # given: a JPEG carrying a GPS-ish EXIF tag
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    member, product = _member(), ProductFactory()

    # when
    review = review_create(
        user=member,
        product=product,
        stars=5,
        title="With photos",
        body="Look",
        photos=[image_upload("a.jpg", exif=exif), image_upload("b.png", fmt="PNG")],
    )

    # then
    review.refresh_from_db()
    assert review.photo_count == 2
    photo = ReviewPhoto.objects.filter(review=review).first()
    with Image.open(photo.image) as stored:
        assert stored.format == "WEBP"
        assert not stored.getexif()
    assert photo.status == ContentStatus.PUBLISHED


def test_more_than_five_photos_are_refused():
    member, product = _member(), ProductFactory()

    with pytest.raises(ApplicationError) as error:
        review_create(
            user=member,
            product=product,
            stars=5,
            title="T",
            body="B",
            photos=[image_upload(f"{n}.jpg") for n in range(6)],
        )

    assert "at most 5 photos" in error.value.message
    assert not Review.objects.exists()


def test_a_new_member_s_review_waits_and_does_not_count_until_approved():
    # given
    new, product, moderator = NewMemberFactory(), ProductFactory(), make_moderator()
    from community.models import CommunitySettings

    settings_row = CommunitySettings.current()
    settings_row.new_require_approval = True
    settings_row.buyers_trusted = False
    settings_row.save()

    # when
    review = review_write(new, product)

    # then
    assert review.status == ContentStatus.PENDING
    assert not ProductRating.objects.filter(product=product, count__gt=0).exists()
    assert not _events(ReviewPublished)
    moderation.content_approve(content=review, moderator=moderator)
    assert _rating(product).count == 1
    assert len(_events(ReviewPublished)) == 1


# ---------------------------------------------------------------- rating
def test_rating_is_exact_after_hide_restore_and_a_change_of_stars():
    product, moderator = ProductFactory(), make_moderator()
    five = review_write(_member(), product, stars=5)
    three = review_write(_member(), product, stars=3)
    assert (_rating(product).count, _rating(product).avg) == (2, Decimal("4.00"))

    moderation.content_hide(content=three, moderator=moderator, reason="spam")
    rating = _rating(product)
    assert (rating.count, rating.sum, rating.stars_3, rating.avg) == (1, 5, 0, Decimal("5.00"))

    moderation.content_restore(content=three, moderator=moderator)
    assert (_rating(product).count, _rating(product).sum) == (2, 8)

    review_edit(review=five, editor=five.author, stars=2, title=five.title, body=five.body_md)
    rating = _rating(product)
    assert (rating.sum, rating.stars_5, rating.stars_2, rating.avg) == (5, 0, 1, Decimal("2.50"))

    moderation.content_remove(content=five, actor=five.author)
    rating = _rating(product)
    assert (rating.count, rating.sum, rating.avg) == (1, 3, Decimal("3.00"))


# ------------------------------------------------------------------ edit
def test_an_edit_keeps_the_previous_text_and_stars():
    member, product = _member(), ProductFactory()
    review = review_write(member, product, stars=4, title="Good", body="Fine.")

    edited = review_edit(review=review, editor=member, stars=5, title="Great", body="Better.")

    assert (edited.title, edited.stars, edited.edit_count) == ("Great", 5, 1)
    assert edited.edited_at is not None
    [revision] = Revision.objects.all()
    assert revision.fields == {"title": "Good", "body_md": "Fine.", "stars": "4"}


def test_editing_another_member_s_review_is_refused_and_nothing_changes():
    author, other, product = _member(), _member(), ProductFactory()
    review = review_write(author, product, stars=4, title="Mine")

    with pytest.raises(ApplicationError) as error:
        review_edit(review=review, editor=other, stars=1, title="Hacked", body="x")

    assert "your own" in error.value.message
    review.refresh_from_db()
    assert (review.title, review.stars, review.edit_count) == ("Mine", 4, 0)
    assert not Revision.objects.exists()
    assert _rating(product).sum == 4


def test_a_moderator_can_edit_any_review():
    review = review_write(_member(), ProductFactory(), title="Rude words")
    moderator = make_moderator()

    edited = review_edit(review=review, editor=moderator, stars=5, title="Edited", body="Nice.")

    assert edited.title == "Edited"


# ----------------------------------------------------------------- votes
def test_a_helpful_vote_counts_once_and_can_be_withdrawn():
    review = review_write(_member(), ProductFactory())
    voter = _member()

    review_vote(review_id=review.pk, voter=voter)
    with pytest.raises(ApplicationError) as error:
        review_vote(review_id=review.pk, voter=voter)
    assert "already marked" in error.value.message
    review.refresh_from_db()
    assert review.helpful_count == 1
    assert [e["helpful"] for e in _events(ReviewVoted)] == [True]

    review_vote_withdraw(review_id=review.pk, voter=voter)
    review.refresh_from_db()
    assert review.helpful_count == 0
    assert not ReviewVote.objects.exists()
    assert [e["helpful"] for e in _events(ReviewVoted)] == [True, False]


def test_voting_on_one_s_own_review_is_refused_and_nothing_written():
    author = _member()
    review = review_write(author, ProductFactory())

    with pytest.raises(ApplicationError) as error:
        review_vote(review_id=review.pk, voter=author)

    assert "own review" in error.value.message
    assert not ReviewVote.objects.exists()
    assert Review.objects.get(pk=review.pk).helpful_count == 0
    assert not _events(ReviewVoted)


def test_voting_on_a_hidden_review_is_refused_and_nothing_written():
    review = review_write(_member(), ProductFactory())
    moderation.content_hide(content=review, moderator=make_moderator(), reason="off topic")

    with pytest.raises(ApplicationError) as error:
        review_vote(review_id=review.pk, voter=_member())

    assert "not visible" in error.value.message
    assert not ReviewVote.objects.exists()
    assert not _events(ReviewVoted)


def test_a_banned_member_cannot_vote():
    review = review_write(_member(), ProductFactory())
    banned, moderator = _member(), make_moderator()
    from django.utils import timezone

    member_restrict(
        moderator=moderator,
        user=banned,
        action="ban",
        until=timezone.now() + timezone.timedelta(days=3),
        reason="spam",
    )

    with pytest.raises(ApplicationError) as error:
        review_vote(review_id=review.pk, voter=banned)

    assert "banned" in error.value.message
    assert not ReviewVote.objects.exists()


# ----------------------------------------------------------------- reply
def test_staff_reply_shows_and_is_announced_once_and_edits_are_marked():
    review = review_write(_member(), ProductFactory())
    staff = make_moderator()

    review_reply(review=review, staff=staff, text="Thank you!")
    replied = review_reply(review=review, staff=staff, text="Thank you, Siti!")

    assert replied.reply_html == "<p>Thank you, Siti!</p>"
    assert replied.replied_at is not None and replied.reply_edited_at is not None
    assert len(_events(MerchantReplied)) == 1


def test_editing_the_reply_keeps_the_old_text_with_who_wrote_it_and_when():
    # given: a reply from one staff member
    review = review_write(_member(), ProductFactory())
    writer, editor = make_moderator(), make_moderator()
    first = review_reply(review=review, staff=writer, text="Thank you!")

    # when: another one edits it
    review_reply(review=review, staff=editor, text="Thank you, Siti!")

    # then: the old text is kept, with its author and time and the editor
    [revision] = ReviewReplyRevision.objects.filter(review=review)
    assert revision.change == ReviewReplyRevision.Change.EDIT
    assert revision.reply_md == "Thank you!"
    assert (revision.reply_by, revision.written_at) == (writer, first.replied_at)
    assert revision.editor == editor and revision.created_at is not None


def test_removing_the_reply_keeps_its_text():
    # given: a reply, edited once
    review = review_write(_member(), ProductFactory())
    staff = make_moderator()
    review_reply(review=review, staff=staff, text="Thank you!")
    edited = review_reply(review=review, staff=staff, text="Thank you, Siti!")

    # when: it is removed (empty text)
    removed = review_reply(review=review, staff=staff, text="  ")

    # then: the reply is gone from the review and kept in its history
    assert (removed.reply_md, removed.reply_html, removed.reply_by) == ("", "", None)
    latest = ReviewReplyRevision.objects.filter(review=review).first()
    assert latest.change == ReviewReplyRevision.Change.REMOVE
    assert latest.reply_md == "Thank you, Siti!"
    assert latest.written_at == edited.reply_edited_at
    assert ReviewReplyRevision.objects.filter(review=review).count() == 2


def test_first_reply_and_an_unchanged_reply_keep_no_revision():
    # given
    review = review_write(_member(), ProductFactory())
    staff = make_moderator()

    # when: a first reply, then the same text again, then removing nothing
    review_reply(review=review, staff=staff, text="Thank you!")
    review_reply(review=review, staff=staff, text="  Thank you!\n")
    other = review_write(_member(), ProductFactory())
    review_reply(review=other, staff=staff, text="")

    # then
    assert not ReviewReplyRevision.objects.exists()
    review.refresh_from_db()
    assert review.reply_edited_at is None


def test_a_member_cannot_reply_as_the_shop():
    review = review_write(_member(), ProductFactory())

    with pytest.raises(ApplicationError):
        review_reply(review=review, staff=MemberFactory(), text="Fake shop reply")

    review.refresh_from_db()
    assert review.reply_md == "" and not _events(MerchantReplied)


def test_a_member_cannot_remove_the_shops_reply():
    # given
    review = review_write(_member(), ProductFactory())
    review_reply(review=review, staff=make_moderator(), text="Thank you!")

    # when
    with pytest.raises(ApplicationError):
        review_reply(review=review, staff=review.author, text="")

    # then: the reply stands and no revision was written
    review.refresh_from_db()
    assert review.reply_md == "Thank you!"
    assert not ReviewReplyRevision.objects.exists()


def test_body_markdown_is_sanitised():
    review = review_write(_member(), ProductFactory(), body="**Bold** <script>alert(1)</script>")

    assert "<strong>Bold</strong>" in review.body_html
    assert "<script>" not in review.body_html


def test_photo_hidden_on_its_own_leaves_the_review_public():
    member, product = _member(), ProductFactory()
    review = review_create(
        user=member, product=product, stars=5, title="T", body="B", photos=[image_upload()]
    )
    photo = ReviewPhoto.objects.get(review=review)

    moderation.content_hide(content=photo, moderator=make_moderator(), reason="not the product")

    review.refresh_from_db()
    assert review.status == ContentStatus.PUBLISHED
    assert review.photo_count == 0


def test_a_member_who_deleted_their_review_can_write_a_new_one_and_the_old_stays_deleted():
    member = trusted(MemberFactory())
    product = ProductFactory()
    old = review_write(member, product, stars=2, title="Too salty")
    moderation.content_remove(content=old, actor=member)
    new = review_create(user=member, product=product, stars=4, title="Better batch", body="Ok")
    assert new.pk != old.pk and new.is_public
    # restoring the deleted one now would make two: refused with a message
    with pytest.raises(ApplicationError) as error:
        moderation.content_restore(content=old, moderator=make_moderator())
    assert error.value.code == "superseded"
    old.refresh_from_db()
    assert old.status == "removed"
