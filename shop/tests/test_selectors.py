from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core import hooks
from shop import selectors
from shop.models import Order, OrderLine, Product, ProductImage
from shop.tests.factories import BrandFactory, ProductFactory, UserFactory, category_create

pytestmark = pytest.mark.django_db


def _order_with(*products: Product, status: str = Order.Status.PAID) -> Order:
    order = Order.objects.create(
        number=f"K-{Order.objects.count() + 1:05d}",
        email="buyer@example.com",
        status=status,
        currency="IDR",
        subtotal=Decimal("1"),
        total=Decimal("1"),
        payment_gateway="bank_transfer",
    )
    for product in products:
        variant = product.variants.first()
        OrderLine.objects.create(
            order=order,
            variant=variant,
            product_name=product.name,
            sku=variant.sku,
            unit_price=variant.price,
            quantity=1,
            line_total=variant.price,
        )
    return order


def test_visible_products_exclude_unpublished_and_unlaunched():
    # given
    shown = ProductFactory()
    ProductFactory(is_published=False)
    ProductFactory(available_from=timezone.now() + timedelta(days=3))
    launched = ProductFactory(available_from=timezone.now() - timedelta(days=1))

    # when
    visible = set(selectors.product_visible_queryset(user=None))

    # then
    assert visible == {shown, launched}


def test_early_access_hook_opens_an_upcoming_product_for_that_user_only():
    # given
    upcoming = ProductFactory(available_from=timezone.now() + timedelta(days=3))
    member, other = UserFactory(), UserFactory()

    def early_access(user):
        return {upcoming.pk} if user == member else set()

    # when
    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, early_access):
        for_member = list(selectors.product_visible_queryset(user=member))
        for_other = list(selectors.product_visible_queryset(user=other))
        page_for_member = selectors.product_get_for_page(slug=upcoming.slug, user=member)
        page_for_other = selectors.product_get_for_page(slug=upcoming.slug, user=other)

    # then
    assert upcoming in for_member
    assert upcoming not in for_other
    assert page_for_member == upcoming
    assert page_for_other is None


def test_without_an_early_access_hook_an_upcoming_product_has_no_page():
    upcoming = ProductFactory(available_from=timezone.now() + timedelta(hours=1))

    assert selectors.product_get_for_page(slug=upcoming.slug, user=UserFactory()) is None
    assert selectors.product_get_for_page(slug="no-such-product") is None


def test_upcoming_products_are_the_published_ones_still_to_launch_soonest_first(
    django_assert_num_queries,
):
    # given
    now = timezone.now()
    later = ProductFactory(available_from=now + timedelta(days=9))
    sooner = ProductFactory(available_from=now + timedelta(days=2))
    ProductFactory(available_from=now + timedelta(days=1), is_published=False)
    ProductFactory(available_from=now - timedelta(days=1))
    ProductFactory()

    # when
    with django_assert_num_queries(1):
        answer = hooks.call_first(hooks.UPCOMING_PRODUCTS, limit=5)

    # then
    assert answer == [sooner.pk, later.pk]
    assert hooks.call_first(hooks.UPCOMING_PRODUCTS, limit=1) == [sooner.pk]


def test_category_products_include_descendant_categories():
    # given
    fashion = category_create("Fashion")
    batik = category_create("Batik Tulis", parent=fashion)
    food = category_create("Food")
    shirt = ProductFactory(category=fashion)
    sarong = ProductFactory(category=batik)
    ProductFactory(category=food)

    # when
    products = set(selectors.category_products(category=fashion, base=Product.objects.visible()))

    # then
    assert products == {shirt, sarong}
    assert selectors.category_breadcrumbs(category=batik.__class__.objects.get(pk=batik.pk)) == [
        fashion,
        batik,
    ]


def test_filters_by_price_brand_tag_and_stock():
    # given
    weaver = BrandFactory(name="Tenun Ibu", slug="tenun-ibu")
    cheap = ProductFactory(variant__price=Decimal("50000"), brand=weaver)
    dear = ProductFactory(variant__price=Decimal("500000"))
    sold_out = ProductFactory(variant__price=Decimal("60000"), variant__stock=0)
    cheap.tags.set(["batik"])
    base = Product.objects.visible()

    def run(**kwargs):
        filters = selectors.ProductFilters(**kwargs)
        return set(selectors.product_filter(queryset=base, filters=filters))

    # then
    assert run(max_price=Decimal("100000")) == {cheap, sold_out}
    assert run(min_price=Decimal("100000")) == {dear}
    assert run(brands=("tenun-ibu",)) == {cheap}
    assert run(tag="batik") == {cheap}
    assert run(in_stock=True) == {cheap, dear}


def test_sorts_by_price_newest_and_popularity():
    # given
    a = ProductFactory(variant__price=Decimal("300"))
    b = ProductFactory(variant__price=Decimal("100"))
    c = ProductFactory(variant__price=Decimal("200"))
    Product.objects.filter(pk=a.pk).update(sales_count=1, view_count=50)
    Product.objects.filter(pk=b.pk).update(sales_count=9)
    Product.objects.filter(pk=c.pk).update(sales_count=1, view_count=90)
    base = Product.objects.visible()

    def order(sort):
        return list(selectors.product_sort(queryset=base, sort=sort))

    # then
    assert order("price_asc") == [b, c, a]
    assert order("price_desc") == [a, c, b]
    assert order("newest") == [c, b, a]
    assert order("popular") == [b, c, a]
    assert order("no-such-sort") == order(selectors.DEFAULT_SORT)


def test_no_rating_sort_is_offered_before_reviews_exist():
    assert "rating" not in dict(selectors.sort_choices())


def test_pages_hold_24_cards_with_only_their_first_image():
    # given
    products = [ProductFactory() for _ in range(26)]
    for product in products:
        for position in (1, 0):
            ProductImage.objects.create(
                product=product,
                image=f"products/{product.pk}/large-{position}.webp",
                card=f"products/{product.pk}/card-{position}.webp",
                position=position,
            )

    # when
    first = selectors.product_page(queryset=Product.objects.visible(), page=1)
    second = selectors.product_page(queryset=Product.objects.visible(), page="2")
    beyond = selectors.product_page(queryset=Product.objects.visible(), page="99")

    # then
    assert len(first.object_list) == 24
    assert len(second.object_list) == 2
    assert beyond.number == 2
    card = first.object_list[0]
    assert len(card.card_images) == 1
    assert card.card_images[0].card.name.endswith("card-0.webp")


def test_cards_cost_the_same_queries_for_5_or_30_products(django_assert_num_queries):
    # given
    for _ in range(5):
        ProductImage.objects.create(product=ProductFactory(), image="x.webp", card="c.webp")

    # when / then: products + first images, whatever the count
    with django_assert_num_queries(2):
        cards = list(selectors.product_cards(Product.objects.visible()))
        for card in cards:
            _ = card.brand.name, card.category.name, card.card_images
    for _ in range(25):
        ProductImage.objects.create(product=ProductFactory(), image="x.webp", card="c.webp")
    with django_assert_num_queries(2):
        cards = list(selectors.product_cards(Product.objects.visible()))
        for card in cards:
            _ = card.brand.name, card.category.name, card.card_images
    assert len(cards) == 30


def test_bought_together_ranks_co_purchases_from_paid_orders_only():
    # given
    shirt, sarong, scarf, coffee, hidden = (ProductFactory() for _ in range(5))
    _order_with(shirt, sarong, scarf)
    _order_with(shirt, sarong, status=Order.Status.COMPLETED)
    _order_with(shirt, coffee, status=Order.Status.PENDING_PAYMENT)
    _order_with(shirt, coffee, status=Order.Status.CANCELLED)
    _order_with(shirt, hidden)
    Product.objects.filter(pk=hidden.pk).update(is_published=False)
    _order_with(coffee, scarf)

    # when
    together = selectors.products_bought_together(product=shirt, base=Product.objects.visible())

    # then
    assert together == [sarong, scarf]


def test_bought_together_is_one_aggregate_query_and_the_cards(django_assert_num_queries):
    shirt, sarong = ProductFactory(), ProductFactory()
    _order_with(shirt, sarong)

    with django_assert_num_queries(3):
        selectors.products_bought_together(product=shirt, base=Product.objects.visible())


def test_related_products_share_the_category_and_exclude_the_product():
    # given
    batik = category_create("Batik")
    shirt, sarong = ProductFactory(category=batik), ProductFactory(category=batik)
    ProductFactory(category=category_create("Coffee"))

    # then
    assert selectors.products_related(product=shirt, base=Product.objects.visible()) == [sarong]


def test_recently_viewed_keeps_the_last_eight_newest_first():
    ids: list[int] = []
    for pk in [1, 2, 3, 2, 4, 5, 6, 7, 8, 9, 10]:
        ids = selectors.recently_viewed_push(ids=ids, product_id=pk)

    assert ids == [10, 9, 8, 7, 6, 5, 4, 2]


def test_recently_viewed_renders_in_the_stored_order():
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    Product.objects.filter(pk=b.pk).update(is_published=False)

    shown = selectors.products_recently_viewed(
        ids=[c.pk, b.pk, a.pk, 999_999], base=Product.objects.visible()
    )

    assert shown == [c, a]


def test_for_you_is_empty_without_a_hook_and_follows_the_hook_order():
    a, b = ProductFactory(), ProductFactory()
    base = Product.objects.visible()

    assert selectors.products_for_you(user=None, base=base) == []
    with hooks.registered(hooks.FOR_YOU_PRODUCTS, lambda user, limit: [b.pk, a.pk]):
        assert selectors.products_for_you(user=None, base=base) == [b, a]


@pytest.mark.parametrize(
    ("available", "label", "level"),
    [
        (0, "Sold out", "out"),
        (3, "Only 3 left", "low"),
        (1, "Only 1 left", "low"),
        (40, "In stock", "in"),
    ],
)
def test_stock_status_labels(available, label, level):
    assert selectors.stock_status(available=available) == (label, level)


def test_bought_together_ranking_is_cached_and_only_the_cards_are_read_again(
    django_assert_num_queries,
):
    # given: the ranking computed once
    shirt, sarong = ProductFactory(), ProductFactory()
    _order_with(shirt, sarong)
    first = selectors.products_bought_together(product=shirt, base=Product.objects.visible())

    # when: asked again, with the cards hidden meanwhile still respected
    with django_assert_num_queries(2):
        second = selectors.products_bought_together(product=shirt, base=Product.objects.visible())
    Product.objects.filter(pk=sarong.pk).update(is_published=False)
    third = selectors.products_bought_together(product=shirt, base=Product.objects.visible())

    # then
    assert first == second == [sarong]
    assert third == []
