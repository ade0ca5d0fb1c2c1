from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def image_file(fmt="PNG", size=(300, 200), name="avatar.png", exif=None) -> SimpleUploadedFile:
    out = io.BytesIO()
    extra = {"exif": exif.tobytes()} if exif is not None else {}
    Image.new("RGB", size, (0, 128, 255)).save(out, format=fmt, **extra)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def jpeg_with_gps() -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (6.0, 10.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (106.0, 49.0, 0.0),
    }
    return image_file("JPEG", size=(640, 480), name="holiday.jpg", exif=exif)


def fake_png() -> SimpleUploadedFile:
    return SimpleUploadedFile("avatar.png", b"just some text\n" * 20, content_type="image/png")


def oversized_png(settings) -> SimpleUploadedFile:
    data = image_file().read() + b"\x00" * (settings.AVATAR_MAX_BYTES + 1)
    return SimpleUploadedFile("avatar.png", data, content_type="image/png")


def pixel_bomb() -> SimpleUploadedFile:
    """A small PNG (one bit per pixel) with more pixels than AVATAR_MAX_PIXELS."""
    out = io.BytesIO()
    Image.new("1", (5000, 4000), 0).save(out, format="PNG")
    return SimpleUploadedFile("avatar.png", out.getvalue(), content_type="image/png")


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


BAD_UPLOADS = {
    "fake": (lambda s: fake_png(), "not a valid image"),
    "oversized": (oversized_png, "too large"),
    "pixel_bomb": (lambda s: pixel_bomb(), "too many pixels"),
}


# --- the profile page ----------------------------------------------------------


def test_profile_page_shows_the_form(user_client):
    # when
    response = user_client.get(reverse("accounts:profile"))

    # then
    assert response.status_code == 200
    assert "form" in response.context


def test_profile_page_requires_login(client):
    # when
    response = client.get(reverse("accounts:profile"))

    # then
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_editing_display_name_and_bio_saves_them(user_client, user):
    # when
    response = user_client.post(
        reverse("accounts:profile"), {"display_name": "  Ibu Sari ", "bio": "Baker in Bandung."}
    )

    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Ibu Sari"
    assert user.bio == "Baker in Bandung."


def test_too_long_display_name_is_refused_and_nothing_saved(user_client, user):
    # given
    before = user.display_name

    # when
    response = user_client.post(
        reverse("accounts:profile"), {"display_name": "x" * 61, "bio": "new bio"}
    )

    # then
    assert response.status_code == 400
    assert "display_name" in response.context["form"].errors
    user.refresh_from_db()
    assert user.display_name == before
    assert user.bio == ""


def test_avatar_is_stored_as_square_webp(user_client, user, settings):
    # when
    response = user_client.post(
        reverse("accounts:profile"),
        {"display_name": "Sari", "bio": "", "avatar": image_file()},
    )

    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.avatar.name.endswith(".webp")
    with Image.open(user.avatar.path) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (settings.AVATAR_SIZE, settings.AVATAR_SIZE)


def test_avatar_exif_with_location_is_not_stored(user_client, user):
    # when
    user_client.post(
        reverse("accounts:profile"), {"display_name": "Sari", "bio": "", "avatar": jpeg_with_gps()}
    )

    # then
    user.refresh_from_db()
    raw = Path(user.avatar.path).read_bytes()
    with Image.open(user.avatar.path) as stored:
        assert not stored.getexif()
    assert b"PhoneMaker" not in raw


def test_replacing_the_avatar_deletes_the_old_file(
    user_client, user, settings, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(reverse("accounts:profile"), {"display_name": "S", "avatar": image_file()})
    user.refresh_from_db()
    old_path = Path(user.avatar.path)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(reverse("accounts:profile"), {"display_name": "S", "avatar": image_file()})

    # then
    user.refresh_from_db()
    assert not old_path.exists()
    assert stored_files(settings) == [Path(user.avatar.path)]


def test_removing_the_avatar_clears_it_and_deletes_the_file(
    user_client, user, settings, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(reverse("accounts:profile"), {"display_name": "S", "avatar": image_file()})

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(
            reverse("accounts:profile"), {"display_name": "S", "remove_avatar": "on"}
        )

    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.avatar
    assert stored_files(settings) == []


@pytest.mark.parametrize("kind", list(BAD_UPLOADS))
def test_bad_avatar_upload_is_refused_and_nothing_is_stored(user_client, user, settings, kind):
    # given
    make, message = BAD_UPLOADS[kind]
    upload = make(settings)

    # when
    response = user_client.post(
        reverse("accounts:profile"), {"display_name": "Changed", "bio": "", "avatar": upload}
    )

    # then
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["avatar"])
    assert message.encode() in response.content
    user.refresh_from_db()
    assert not user.avatar
    assert user.display_name != "Changed"
    assert stored_files(settings) == []


def test_bad_avatar_upload_keeps_the_previous_avatar(user_client, user, settings):
    # given
    user_client.post(reverse("accounts:profile"), {"display_name": "S", "avatar": image_file()})
    user.refresh_from_db()
    previous = user.avatar.name

    # when
    response = user_client.post(
        reverse("accounts:profile"), {"display_name": "S", "avatar": fake_png()}
    )

    # then
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.avatar.name == previous
    assert stored_files(settings) == [Path(user.avatar.path)]


# --- the service -----------------------------------------------------------------


def test_profile_update_with_an_invalid_field_stores_no_avatar(settings):
    # given
    user = UserFactory()

    # when
    with pytest.raises(Exception):  # noqa: B017 - any refusal, as long as nothing is kept
        services.profile_update(user=user, display_name="x" * 61, avatar=image_file())

    # then
    user.refresh_from_db()
    assert not user.avatar
    assert stored_files(settings) == []


# --- the API ---------------------------------------------------------------------


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_avatar_upload_is_stored_as_square_webp(api, user, settings):
    # when
    response = api.patch(reverse("api:me"), {"avatar": jpeg_with_gps()}, format="multipart")

    # then
    assert response.status_code == 200
    assert response.json()["avatar"].endswith(".webp")
    user.refresh_from_db()
    with Image.open(user.avatar.path) as stored:
        assert stored.size == (settings.AVATAR_SIZE, settings.AVATAR_SIZE)
        assert not stored.getexif()


@pytest.mark.parametrize("kind", list(BAD_UPLOADS))
def test_api_bad_avatar_upload_is_refused_and_nothing_is_stored(api, user, settings, kind):
    # given
    make, message = BAD_UPLOADS[kind]

    # when
    response = api.patch(reverse("api:me"), {"avatar": make(settings)}, format="multipart")

    # then: a file was sent, as the schema asks; it is not an image we take
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"].startswith("image_")
    assert message in " ".join(body["errors"]["avatar"])
    user.refresh_from_db()
    assert not user.avatar
    assert stored_files(settings) == []


def test_api_multipart_carries_only_the_avatar_and_refuses_text_fields(api, user, settings):
    # given: a form field is text only, so the schema keeps them to JSON
    before = user.display_name

    # when
    response = api.patch(
        reverse("api:me"),
        {"avatar": jpeg_with_gps(), "display_name": "Changed"},
        format="multipart",
    )

    # then
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"display_name"}
    user.refresh_from_db()
    assert user.display_name == before
    assert not user.avatar
    assert stored_files(settings) == []


def test_api_multipart_without_an_avatar_is_refused(api, user):
    # when: an empty form (or a body that is no form at all) parses to nothing
    response = api.patch(reverse("api:me"), {}, format="multipart")

    # then
    assert response.status_code == 400
    assert "avatar" in response.json()["errors"]


def test_api_avatar_given_as_text_is_refused(api, user):
    # when
    response = api.patch(reverse("api:me"), {"avatar": "not-a-file"}, format="json")

    # then
    assert response.status_code == 400
    assert "avatar" in response.json()["errors"]
    user.refresh_from_db()
    assert not user.avatar


def test_user_model_rejects_nothing_on_a_fresh_profile():
    # given / when
    user = User.objects.create_user(email="Fresh@Example.COM", password="x-long-password-1")

    # then
    assert user.email == "fresh@example.com"
    assert user.public_name == f"Member {user.pk}"


# --- the public name ------------------------------------------------------------


def test_without_a_display_name_the_public_name_is_numbered_never_the_email():
    # given an address whose local part is the member's full name
    user = UserFactory(display_name="", email="siti.rahayu.1990@example.com")

    # then others see a numbered name, in their language
    assert user.public_name == str(user) == f"Member {user.pk}"
    with translation.override("id"):
        assert user.public_name == f"Anggota {user.pk}"
    assert "siti" not in user.public_name.lower()
    user.display_name = "Siti R."
    assert user.public_name == "Siti R."


def test_the_profile_page_says_what_others_see_before_and_after_a_display_name(client):
    # given a member without a display name
    user = UserFactory(display_name="", email="siti.rahayu.1990@example.com")
    client.force_login(user)

    # when
    before = client.get(reverse("accounts:profile")).content.decode()
    client.post(reverse("accounts:profile"), {"display_name": "Siti R.", "bio": ""})
    after = client.get(reverse("accounts:profile")).content.decode()

    # then
    assert (
        f"Other members see you as “Member {user.pk}” until you choose a display name below."
        in before
    )
    assert f"Left empty, you are shown as “Member {user.pk}”." in before
    assert "Other members see you as “Siti R.”." in after
    user.refresh_from_db()
    assert user.display_name == "Siti R."


def test_the_profile_page_says_it_in_indonesian_too(client):
    user = UserFactory(display_name="", language="id")
    client.force_login(user)

    with translation.override("id"):
        url = reverse("accounts:profile")
    html = client.get(url).content.decode()

    assert f"Anggota lain melihat Anda sebagai “Anggota {user.pk}”" in html


@pytest.mark.parametrize(
    "name",
    [
        "Member {other}",
        "member #{other}",
        "  MEMBER   {other} ",
        "Anggota {other}",
        "anggota no. {other}",
    ],
)
def test_a_display_name_that_passes_for_another_members_numbered_name_is_refused(
    user_client, user, name
):
    # given another member
    other = UserFactory(display_name="")

    # when
    response = user_client.post(
        reverse("accounts:profile"), {"display_name": name.format(other=other.pk), "bio": ""}
    )

    # then
    assert response.status_code == 400
    assert response.context["form"].errors["display_name"] == [
        "This reads as another member's name. Choose a name of your own."
    ]
    before = user.display_name
    user.refresh_from_db()
    assert user.display_name == before


@pytest.mark.parametrize(
    "name", ["Member {own}", "Member of the month", "Members 4 ever", "Memberikan"]
)
def test_a_display_name_of_ones_own_number_or_only_like_the_word_is_kept(user_client, user, name):
    response = user_client.post(
        reverse("accounts:profile"), {"display_name": name.format(own=user.pk), "bio": ""}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == name.format(own=user.pk)


def test_the_api_refuses_another_members_numbered_name_too(api, user):
    other = UserFactory(display_name="")
    api.force_authenticate(user)

    response = api.patch(reverse("api:me"), {"display_name": f"Member {other.pk}"}, format="json")

    assert response.status_code in (400, 422)
    assert "display_name" in response.json()["errors"]
