"""One rule for "can this shopper buy this now" (selectors.variants_purchasable):
cart add, the cart page, checkout and the product page agree, and the
early-access hook is asked once per request."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import hooks
from shop import selectors
from shop.models import CartLine, Order, Product, ProductImage, Variant
from shop.payments.test_card import SUCCESS
from shop.tests.factories import FULL_ADDRESS, ProductFactory, ShippingMethodFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = FULL_ADDRESS
LATER = timedelta(days=3)


def _variant(**kwargs) -> Variant:
    return ProductFactory(
        variant__price=Decimal("100000"), variant__stock=5, **kwargs
    ).variants.get()


def _make_unavailable(variant: Variant, how: str) -> None:
    """Behind the cart's back, as staff would in the admin."""
    if how == "unpublished":
        Product.objects.filter(pk=variant.product_id).update(is_published=False)
    elif how == "inactive":
        Variant.objects.filter(pk=variant.pk).update(is_active=False)
    elif how == "unlaunched":
        Product.objects.filter(pk=variant.product_id).update(available_from=timezone.now() + LATER)
    else:  # pragma: no cover
        raise AssertionError(how)


def _not_purchasable_variant(how: str) -> Variant:
    variant = _variant()
    _make_unavailable(variant, how)
    return variant


def _add(client, variant, quantity=1):
    return client.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": quantity})


def _lines() -> list[tuple[int, int]]:
    return sorted(CartLine.objects.values_list("variant_id", "quantity"))


def _checkout_data(client, shipping) -> dict:
    page = client.get(reverse("shop:checkout"))
    assert page.status_code == 200
    return {
        "idempotency_key": page.context["form"]["idempotency_key"].value(),
        "email": "guest@example.com",
        **ADDRESS,
        "shipping_method": shipping.pk,
        "payment_method": "test_card",
        "card_number": SUCCESS,
        "action": "place_order",
    }


NOT_PURCHASABLE = ["unlaunched", "unpublished", "inactive"]


# --------------------------------------------------------------- cart add
@pytest.mark.parametrize("how", NOT_PURCHASABLE)
def test_adding_a_variant_that_is_not_on_sale_by_its_id_is_refused_and_the_cart_unchanged(
    client, how
):
    # given a cart with one item, and a variant not on sale (its product page
    # is a 404 unless only the variant was withdrawn)
    on_sale = _variant()
    assert _add(client, on_sale, 2).status_code == 302
    hidden = _not_purchasable_variant(how)
    page_status = client.get(hidden.product.get_absolute_url()).status_code
    assert page_status == (200 if how == "inactive" else 404)
    before = _lines()

    # when
    response = _add(client, hidden)

    # then
    assert response.status_code == 409
    assert "This item is not on sale at the moment." in response.content.decode()
    assert hidden.product.name not in response.content.decode()
    assert _lines() == before == [(on_sale.pk, 2)]


@pytest.mark.parametrize("how", NOT_PURCHASABLE)
def test_htmx_add_of_a_variant_not_on_sale_answers_the_refusal_in_the_fragment(client, how):
    hidden = _not_purchasable_variant(how)

    response = client.post(
        reverse("shop:cart_add"),
        {"variant_id": hidden.pk, "quantity": 1},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 409
    assert "This item is not on sale at the moment." in response.content.decode()
    assert not CartLine.objects.exists()


def test_the_quantity_of_a_line_no_longer_on_sale_cannot_be_raised_but_it_can_be_removed(
    client,
):
    # given
    variant = _variant()
    _add(client, variant, 1)
    line = CartLine.objects.get()
    _make_unavailable(variant, "unpublished")

    # when
    raised = client.post(reverse("shop:cart_update", args=[line.pk]), {"quantity": 3})
    removed = client.post(reverse("shop:cart_remove", args=[line.pk]))

    # then
    assert raised.status_code == 409
    assert removed.status_code == 302
    assert not CartLine.objects.exists()


# ------------------------------------------------------------ cart display
@pytest.mark.parametrize("how", NOT_PURCHASABLE)
def test_a_line_no_longer_on_sale_is_marked_left_out_of_the_subtotal_and_blocks_checkout(
    client, how
):
    # given two lines, one of which is withdrawn after it was added
    kept, withdrawn = _variant(), _variant()
    _add(client, kept, 1)
    _add(client, withdrawn, 2)
    _make_unavailable(withdrawn, how)

    # when
    page = client.get(reverse("shop:cart"))

    # then: the line stays (a page view deletes nothing), marked and not counted
    html = page.content.decode()
    rows = {row["variant"].pk: row for row in page.context["rows"]}
    assert rows[kept.pk]["buyable"] and not rows[withdrawn.pk]["buyable"]
    assert page.context["subtotal"] == Decimal("100000")
    assert page.context["item_count"] == 1
    assert not page.context["can_checkout"]
    assert "This item is not on sale at the moment" in html
    assert withdrawn.product.name in html
    assert CartLine.objects.count() == 2


# ---------------------------------------------------------------- checkout
@pytest.mark.parametrize("how", NOT_PURCHASABLE)
def test_a_product_made_unavailable_after_it_was_added_cannot_be_checked_out_on_the_web(
    client, how, django_capture_on_commit_callbacks
):
    # given a guest at checkout when the product is withdrawn
    shipping = ShippingMethodFactory(price=Decimal("15000"))
    variant = _variant()
    _add(client, variant, 2)
    data = _checkout_data(client, shipping)
    _make_unavailable(variant, how)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        placed = client.post(reverse("shop:checkout"), data)
    opened = client.get(reverse("shop:checkout"))

    # then: back to the cart with the reason; nothing placed, held or charged
    assert placed.status_code == 302
    assert placed["Location"] == reverse("shop:cart")
    assert opened.status_code == 302
    assert opened["Location"] == reverse("shop:cart")
    cart_page = client.get(reverse("shop:cart")).content.decode()
    assert "is no longer on sale. Remove it from your cart to check out." in cart_page
    assert not Order.objects.exists()
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (5, 0)
    assert _lines() == [(variant.pk, 2)]


# ------------------------------------------------------------ early access
def test_an_early_access_member_adds_and_buys_before_launch_and_another_member_cannot(
    django_capture_on_commit_callbacks,
):
    # given an upcoming product opened early to one member
    shipping = ShippingMethodFactory(price=Decimal("15000"))
    variant = _variant(available_from=timezone.now() + LATER)
    insider, outsider = UserFactory(), UserFactory()
    insider_client, outsider_client = Client(), Client()
    insider_client.force_login(insider)
    outsider_client.force_login(outsider)

    def early_access(user):
        return {variant.product_id} if user.pk == insider.pk else set()

    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, early_access):
        # when
        outsider_added = _add(outsider_client, variant)
        insider_added = _add(insider_client, variant, 2)
        data = {**_checkout_data(insider_client, shipping), "email": insider.email}
        with django_capture_on_commit_callbacks(execute=True):
            placed = insider_client.post(reverse("shop:checkout"), data)

    # then
    assert outsider_added.status_code == 409
    assert not CartLine.objects.filter(cart__user=outsider).exists()
    assert insider_added.status_code == 302
    assert placed.status_code == 302
    order = Order.objects.get()
    assert order.user == insider
    assert order.status == Order.Status.PAID
    assert order.lines.get().variant_id == variant.pk


def test_when_early_access_ends_the_line_is_marked_and_checkout_is_refused(client):
    # given a member who added an upcoming product while it was open to them
    member = UserFactory()
    client.force_login(member)
    variant = _variant(available_from=timezone.now() + LATER)
    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, lambda user: {variant.product_id}):
        assert _add(client, variant).status_code == 302
        assert client.get(reverse("shop:cart")).context["can_checkout"]

    # when the hook no longer opens it
    page = client.get(reverse("shop:cart"))
    opened = client.get(reverse("shop:checkout"))

    # then
    assert not page.context["can_checkout"]
    assert page.context["subtotal"] == 0
    assert opened.status_code == 302
    assert CartLine.objects.filter(cart__user=member).count() == 1


def test_the_rule_refuses_an_unpublished_product_even_if_a_hook_opens_it():
    # Early access opens a product before its launch, never a draft.
    draft = _variant(is_published=False, available_from=timezone.now() + LATER)
    member = UserFactory()

    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, lambda user: {draft.product_id}):
        assert selectors.variants_purchasable(variants=[draft], user=member) == set()
        assert selectors.product_get_for_page(slug=draft.product.slug, user=member) is None


# -------------------------------------------- once per request, queries flat
def _counting_hook(member, opened: set[int]):
    calls: list[int] = []

    def early_access(user):
        calls.append(user.pk)
        return opened if user.pk == member.pk else set()

    return early_access, calls


def test_the_cart_page_costs_the_same_queries_for_one_line_or_four_and_asks_the_hook_once(
    client, django_assert_num_queries
):
    # given a member with one line, an early-access hook that opens one
    # upcoming product to them, and the page seen once
    member = UserFactory()
    client.force_login(member)
    early = _variant(available_from=timezone.now() + LATER)
    early_access, calls = _counting_hook(member, {early.product_id})
    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, early_access):
        _add(client, _variant())
        client.get(reverse("shop:cart"))
        with CaptureQueriesContext(connection) as one_line:
            client.get(reverse("shop:cart"))
        one_line_queries = len(one_line)  # the next request clears the log
        # three more: the early one, one withdrawn, one ordinary
        withdrawn = _variant()
        for variant in (early, withdrawn, _variant()):
            assert _add(client, variant).status_code == 302
        _make_unavailable(withdrawn, "unpublished")
        calls.clear()

        # when
        with django_assert_num_queries(one_line_queries):
            page = client.get(reverse("shop:cart"))

    # then
    assert len(page.context["rows"]) == 4
    assert [row["buyable"] for row in page.context["rows"]] == [True, True, False, True]
    assert calls == [member.pk]


@pytest.mark.parametrize("url", ["/", "/shop/", "cart", "checkout"])
def test_each_page_asks_the_early_access_hook_once_per_request(client, url):
    # given many upcoming products (the old hook was asked once per product)
    member = UserFactory()
    client.force_login(member)
    upcoming = [_variant(available_from=timezone.now() + LATER) for _ in range(5)]
    for _ in range(3):
        _variant(is_featured=True)
    early_access, calls = _counting_hook(member, {upcoming[0].product_id})
    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, early_access):
        _add(client, upcoming[0])
        _add(client, _variant())
        calls.clear()
        path = reverse(f"shop:{url}") if url in ("cart", "checkout") else url

        # when
        response = client.get(path)

    # then
    assert response.status_code == 200
    assert calls == [member.pk]


# ----------------------------------------------------- shared card lists
def _catalog_with_images(count: int) -> list[Product]:
    products = []
    for _ in range(count):
        product = ProductFactory(is_featured=True)
        Product.objects.filter(pk=product.pk).update(sales_count=3)
        ProductImage.objects.create(
            product=product,
            image=f"products/{product.pk}/0.webp",
            card=f"products/{product.pk}/card-0.webp",
            thumb=f"products/{product.pk}/thumb-0.webp",
        )
        products.append(product)
    return products


def _card_reads(queries) -> list:
    return [q for q in queries if 'FROM "shop_productimage"' in q["sql"]]


def test_home_card_lists_stay_shared_for_a_member_the_hook_opens_nothing_to(client):
    # given the home page seen by a visitor, and a hook that opens products
    # to some members only
    products = _catalog_with_images(3)
    client.get("/")
    member, insider = UserFactory(), UserFactory()
    member_client, insider_client = Client(), Client()
    member_client.force_login(member)
    insider_client.force_login(insider)
    upcoming = ProductFactory(name="Upcoming Songket", available_from=timezone.now() + LATER)
    early_access, _calls = _counting_hook(insider, {upcoming.pk})

    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, early_access):
        member_client.get("/")  # warm the sessions
        insider_client.get("/")

        # when
        with CaptureQueriesContext(connection) as shared:
            member_html = member_client.get("/").content.decode()
        with CaptureQueriesContext(connection) as own:
            insider_html = insider_client.get("/").content.decode()

    # then: the member's cards come from the shared fragment (no card query);
    # the insider's lists are rendered for them, with the upcoming product
    assert products[0].name in member_html
    assert not _card_reads(shared.captured_queries)
    assert "Upcoming Songket" not in member_html
    assert _card_reads(own.captured_queries)
    assert "Upcoming Songket" in insider_html


def test_the_early_access_answer_is_asked_again_when_the_hooks_change():
    member = UserFactory()
    first, first_calls = _counting_hook(member, {1})
    second, second_calls = _counting_hook(member, {2})

    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, first):
        assert selectors.early_access_product_ids(user=member) == {1}
        assert selectors.early_access_product_ids(user=member) == {1}
    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, second):
        assert selectors.early_access_product_ids(user=member) == {2}
    assert selectors.early_access_product_ids(user=member) == set()
    assert (first_calls, second_calls) == ([member.pk], [member.pk])
