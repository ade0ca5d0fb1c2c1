from __future__ import annotations

import importlib.util
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from shop.models import Address, Order, Payment
from shop.payments.test_card import DECLINE, DELAYED, SIGNATURE_HEADER, SUCCESS, TestCardGateway
from shop.tests.factories import (
    FULL_ADDRESS,
    CouponFactory,
    ProductFactory,
    ShippingMethodFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADDRESS = FULL_ADDRESS


@pytest.fixture
def variant():
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=5).variants.get()


@pytest.fixture
def shipping():
    return ShippingMethodFactory(price=Decimal("15000"))


def _fill_cart(client, variant, quantity=2):
    response = client.post(
        reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": quantity}
    )
    assert response.status_code == 302


def _checkout_data(client, shipping, **overrides):
    page = client.get(reverse("shop:checkout"))
    assert page.status_code == 200
    data = {
        "idempotency_key": page.context["form"]["idempotency_key"].value(),
        "email": "Guest@Example.com",
        **ADDRESS,
        "shipping_method": shipping.pk,
        "payment_method": "test_card",
        "card_number": SUCCESS,
        "action": "place_order",
    }
    data.update(overrides)
    return data


def _place(client, data):
    return client.post(reverse("shop:checkout"), data)


def test_guest_buys_with_a_test_card_from_cart_to_confirmation(
    client, variant, shipping, django_capture_on_commit_callbacks
):
    # given a guest with two units in the cart
    _fill_cart(client, variant, 2)
    data = _checkout_data(client, shipping)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _place(client, data)

    # then the order is paid, priced from the database, the stock committed
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:checkout_complete", args=[order.number])
    assert order.status == Order.Status.PAID
    assert order.user is None
    assert order.email == "guest@example.com"
    assert order.total == Decimal("215000")  # 2 × 100,000 + 15,000 shipping, tax included
    assert order.shipping_address["city"] == "Yogyakarta"
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (3, 0)
    assert not variant.product.variants.get().product.variants.filter(stock__lt=0).exists()
    # and the confirmation page shows it
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert order.number in body
    assert "Thank you for your order!" in body
    assert "215,000" in body
    # and the cart is empty
    assert client.get(reverse("shop:cart")).context["rows"] == []
    if importlib.util.find_spec("shop.handlers"):
        assert any("guest@example.com" in message.to for message in mail.outbox)


def test_checkout_page_prefills_the_users_email_and_default_address(client, variant, shipping):
    # given
    user = UserFactory(email="member@example.com")
    Address.objects.create(user=user, is_default=True, **ADDRESS)
    client.force_login(user)
    _fill_cart(client, variant)

    # when
    page = client.get(reverse("shop:checkout"))

    # then
    form = page.context["form"]
    assert form["email"].value() == "member@example.com"
    assert form["saved_address"].value() == str(user.addresses.get().pk)
    assert "Jl. Melati 12" in page.content.decode()


def test_user_saves_a_new_address_to_the_book_at_checkout(client, variant, shipping):
    # given
    user = UserFactory()
    client.force_login(user)
    _fill_cart(client, variant)
    data = _checkout_data(client, shipping, email=user.email, save_address="on")

    # when
    response = _place(client, data)

    # then
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.user == user
    address = user.addresses.get()
    assert (address.line1, address.is_default) == ("Jl. Melati 12", True)


def test_user_ships_to_a_saved_address(client, variant, shipping):
    # given
    user = UserFactory()
    saved = Address.objects.create(user=user, is_default=True, **{**ADDRESS, "city": "Solo"})
    client.force_login(user)
    _fill_cart(client, variant)
    data = _checkout_data(
        client, shipping, email=user.email, saved_address=str(saved.pk), line1="", city=""
    )

    # when
    response = _place(client, data)

    # then
    assert response.status_code == 302
    assert Order.objects.get().shipping_address["city"] == "Solo"
    assert user.addresses.count() == 1


def test_double_submit_with_one_idempotency_key_makes_one_order(client, variant, shipping):
    # given
    _fill_cart(client, variant, 1)
    data = _checkout_data(client, shipping)

    # when
    first = _place(client, data)
    second = _place(client, data)

    # then
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert first["Location"] == second["Location"]
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (4, 0)


def test_tampered_price_fields_are_ignored(client, variant, shipping):
    # given
    _fill_cart(client, variant, 1)
    data = _checkout_data(
        client,
        shipping,
        total="1",
        subtotal="1",
        price="1",
        unit_price="1",
        shipping_total="0",
        discount_total="100000",
    )

    # when
    _place(client, data)

    # then
    order = Order.objects.get()
    assert order.total == Decimal("115000")
    assert order.lines.get().unit_price == Decimal("100000")


def test_declined_card_keeps_the_order_pending_and_another_card_pays_it(client, variant, shipping):
    # given
    _fill_cart(client, variant, 1)
    data = _checkout_data(client, shipping, card_number=DECLINE)

    # when the card is declined
    response = _place(client, data)

    # then the order waits, holding its stock, and the page says so
    order = Order.objects.get()
    assert response["Location"] == reverse("shop:order_pay", args=[order.number])
    assert order.status == Order.Status.PENDING_PAYMENT
    variant.refresh_from_db()
    assert variant.reserved == 1
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Your card was declined." in page.content.decode()

    # when another card is used on the same order
    retry = client.post(reverse("shop:order_pay", args=[order.number]), {"card_number": SUCCESS})

    # then it is paid, and there is still one order
    assert retry["Location"] == reverse("shop:checkout_complete", args=[order.number])
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Order.objects.count() == 1
    assert list(order.payments.order_by("pk").values_list("status", flat=True)) == [
        "failed",
        "succeeded",
    ]


def test_a_second_decline_on_retry_says_so_and_changes_nothing(client, variant, shipping):
    # given
    _fill_cart(client, variant, 1)
    _place(client, _checkout_data(client, shipping, card_number=DECLINE))
    order = Order.objects.get()

    # when
    response = client.post(reverse("shop:order_pay", args=[order.number]), {"card_number": DECLINE})

    # then
    assert response.status_code == 402
    assert "Your card was declined." in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_bank_transfer_shows_instructions_and_deadline(client, variant, shipping, settings):
    # given
    _fill_cart(client, variant, 1)
    data = _checkout_data(client, shipping, payment_method="bank_transfer", card_number="")

    # when
    response = _place(client, data)
    page = client.get(response["Location"])

    # then
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.reserved_until > timezone.now() + timedelta(hours=23)
    body = page.content.decode()
    assert settings.SHOP_BANK_ACCOUNT["account_number"] in body
    assert "Please transfer the total" in body
    assert order.number in body
    assert "We hold your items until" in body


def test_delayed_card_is_paid_by_the_signed_webhook(client, variant, shipping):
    # given
    _fill_cart(client, variant, 1)
    _place(client, _checkout_data(client, shipping, card_number=DELAYED))
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING_PAYMENT
    body = TestCardGateway.webhook_body(
        order_number=order.number,
        reference=order.payments.get().reference,
        amount=order.total,
        status="succeeded",
    )

    # when
    response = client.post(
        reverse("shop:payment_webhook", args=["test_card"]),
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: TestCardGateway.signature(body)},
    )
    replay = client.post(
        reverse("shop:payment_webhook", args=["test_card"]),
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: TestCardGateway.signature(body)},
    )

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "processed"}
    assert replay.json() == {"status": "duplicate"}
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_webhook_with_a_bad_signature_is_refused(client, variant, shipping):
    # given
    _fill_cart(client, variant, 1)
    _place(client, _checkout_data(client, shipping, card_number=DELAYED))
    order = Order.objects.get()
    body = TestCardGateway.webhook_body(
        order_number=order.number, reference="x", amount=order.total, status="succeeded"
    )

    # when
    response = client.post(
        reverse("shop:payment_webhook", args=["test_card"]),
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: "forged"},
    )

    # then
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_expired_coupon_rerenders_the_form_with_what_was_typed(client, variant, shipping):
    # given
    CouponFactory(code="LAMA", valid_until=timezone.now() - timedelta(days=1))
    _fill_cart(client, variant, 1)
    data = _checkout_data(client, shipping, coupon_code="LAMA")

    # when
    response = _place(client, data)

    # then
    assert response.status_code == 400
    body = response.content.decode()
    assert "This coupon has expired." in body
    assert 'value="Jl. Melati 12"' in body
    assert 'value="LAMA"' in body
    assert response.context["form"]["idempotency_key"].value() == data["idempotency_key"]
    assert not Order.objects.exists()
    variant.refresh_from_db()
    assert variant.reserved == 0


def test_applying_a_valid_coupon_shows_the_discount_without_placing(client, variant, shipping):
    # given
    CouponFactory(code="HEMAT10", value=Decimal("10"))
    _fill_cart(client, variant, 1)
    data = _checkout_data(client, shipping, coupon_code="hemat10", action="apply_coupon")

    # when
    response = _place(client, data)

    # then
    assert response.status_code == 200
    assert response.context["quote"].discount_total == Decimal("10000")
    assert not Order.objects.exists()


def test_coupon_is_applied_when_the_order_is_placed(client, variant, shipping):
    # given
    CouponFactory(code="HEMAT10", value=Decimal("10"))
    _fill_cart(client, variant, 1)

    # when
    _place(client, _checkout_data(client, shipping, coupon_code="HEMAT10"))

    # then
    order = Order.objects.get()
    assert order.discount_total == Decimal("10000")
    assert order.total == Decimal("105000")


def test_missing_address_and_card_are_refused(client, variant, shipping):
    # given
    _fill_cart(client, variant, 1)
    data = _checkout_data(client, shipping, line1="", card_number="12")

    # when
    response = _place(client, data)

    # then
    assert response.status_code == 400
    assert response.context["form"].errors.keys() >= {"line1", "card_number"}
    assert not Order.objects.exists()


def test_sold_out_at_checkout_goes_back_to_the_cart(client, variant, shipping):
    # given
    _fill_cart(client, variant, 2)
    data = _checkout_data(client, shipping)
    variant.stock = 1
    variant.save()

    # when
    response = client.post(reverse("shop:checkout"), data, follow=True)

    # then
    assert response.redirect_chain[-1][0] == reverse("shop:cart")
    assert "only 1 of" in response.content.decode()
    assert not Order.objects.exists()
    variant.refresh_from_db()
    assert variant.reserved == 0


def test_checkout_with_an_empty_cart_goes_to_the_cart(client):
    # when
    response = client.get(reverse("shop:checkout"))

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:cart")


def test_someone_elses_confirmation_page_is_not_found(client, variant, shipping):
    # given an order placed in another browser
    other = client.__class__()
    _fill_cart(other, variant, 1)
    _place(other, _checkout_data(other, shipping))
    order = Order.objects.get()

    # when
    confirmation = client.get(reverse("shop:checkout_complete", args=[order.number]))
    pay = client.post(reverse("shop:order_pay", args=[order.number]), {"card_number": SUCCESS})

    # then
    assert confirmation.status_code == 404
    assert pay.status_code == 404


def test_the_guest_checkout_says_it_needs_an_email_and_an_address(client, variant, shipping):
    # given a guest with a cart
    _fill_cart(client, variant, 1)

    # when they open the checkout
    page = client.get(reverse("shop:checkout")).content.decode()

    # then it says what it will ask for, not "only your email"
    assert "we only need your email" not in page
    assert "an address to ship to" in page
