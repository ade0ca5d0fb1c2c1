"""Demo polls, written by the demo shop's staff and shoppers through the
poll services, with the shoppers' votes. Idempotent: a poll already there
(by its question) is left as it is."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from community.models import ContentStatus, Poll
from community.permissions import is_moderator
from community.services.moderation import content_approve
from community.services.polls import OptionInput, poll_create, poll_vote
from core.exceptions import ApplicationError
from shop import selectors as shop_selectors

STAFF = "admin@kampung.test"
SHOPPERS = ["budi@kampung.test", "dewi@kampung.test", "agus@kampung.test"]


def _products(names: list[str]):
    from shop.models import Product

    found = {}
    for name in names:
        product = (
            Product.objects.filter(is_published=True)
            .filter(Q(name__iexact=name) | Q(name__istartswith=name))
            .order_by("pk")
            .first()
        )
        if product is not None:
            found[name] = product
    return found


def _owned_product(users: dict):
    """A product at least two demo shoppers bought (for the owners-only poll)."""
    from shop.models import OrderLine

    buyers = [u.pk for u in users.values()]
    rows = (
        OrderLine.objects.filter(
            order__user_id__in=buyers, order__status__in=shop_selectors.PURCHASED_STATUSES
        )
        .values_list("variant__product_id", "order__user_id")
        .order_by("variant__product_id")
        .distinct()
    )
    owners: dict[int, set[int]] = {}
    for product_id, user_id in rows:
        owners.setdefault(product_id, set()).add(user_id)
    best = sorted(owners.items(), key=lambda item: (-len(item[1]), item[0]))
    if not best:
        return None, set()
    from shop.models import Product

    product_id, user_ids = best[0]
    return Product.objects.get(pk=product_id), user_ids


def _publish(poll: Poll, staff) -> None:
    if poll.status == ContentStatus.PENDING and staff is not None and is_moderator(staff):
        content_approve(content=poll, moderator=staff, reason="Demo")


def _votes(poll: Poll, ballots: list[tuple[object, list[str]]], stdout) -> int:
    labels = {o.label: o.pk for o in poll.options.all()}
    cast = 0
    for user, chosen in ballots:
        try:
            poll_vote(poll=poll, voter=user, option_ids=[labels[c] for c in chosen if c in labels])
        except ApplicationError as error:
            stdout.write(f"  vote by {user.email} skipped: {error.message}")
            continue
        cast += 1
    return cast


def seed_polls(stdout) -> None:
    User = get_user_model()
    users = {u.email: u for u in User.objects.filter(email__in=[STAFF, *SHOPPERS])}
    staff = users.get(STAFF)
    shoppers = {e: users[e] for e in SHOPPERS if e in users}
    if staff is None or len(shoppers) < 2:
        stdout.write("  (no demo staff or shoppers, so no polls)")
        return
    budi, dewi = shoppers.get(SHOPPERS[0]), shoppers.get(SHOPPERS[1])
    agus = shoppers.get(SHOPPERS[2])
    made = 0

    # 1. Single choice, results always shown, by the shop's staff.
    title = "Which sambal next?"
    if not Poll.objects.filter(title=title).exists():
        labels = ["Sambal Cumi Asin", "Sambal Andaliman", "Sambal Ijo Padang", "Sambal Dabu-dabu"]
        poll = poll_create(
            author=staff,
            title=title,
            body_md="We are choosing the next sambal for the **Bumbu** shelf. "
            "Which one would you buy first?",
            options=labels,
            results=Poll.Results.ALWAYS,
            public_voters=True,
        )
        _publish(poll, staff)
        ballots = [(budi, [labels[1]]), (dewi, [labels[1]]), (agus, [labels[3]])]
        _votes(poll, [(u, c) for u, c in ballots if u is not None], stdout)
        made += 1

    # 2. Multiple choice, options linking products, results after voting.
    title = "Which gifts would you wrap for Lebaran?"
    if not Poll.objects.filter(title=title).exists() and dewi is not None:
        wanted = ["Tas Rotan Bulat", "Keranjang Purun", "Gula Aren Cair", "Kecap Manis"]
        products = _products(wanted)
        options = [
            OptionInput(label=n, product_id=getattr(products.get(n), "pk", None)) for n in wanted
        ]
        poll = poll_create(
            author=dewi,
            title=title,
            body_md="Putting together hampers for the family. Pick up to three.",
            options=options,
            poll_type=Poll.Type.MULTIPLE,
            min_choices=1,
            max_choices=3,
            results=Poll.Results.ON_VOTE,
        )
        _publish(poll, staff)
        ballots = [
            (dewi, [wanted[0], wanted[2]]),
            (budi, [wanted[0], wanted[1], wanted[3]]),
            (agus, [wanted[2]]),
        ]
        _votes(poll, [(u, c) for u, c in ballots if u is not None], stdout)
        made += 1

    # 3. Owners only, in Bahasa Indonesia, for a product the shoppers bought.
    title_prefix = "Untuk pembeli"
    if not Poll.objects.filter(title__startswith=title_prefix).exists():
        product, owner_ids = _owned_product(shoppers)
        if product is None:
            stdout.write("  (no paid demo orders, so no owners-only poll)")
        else:
            owners = [u for u in shoppers.values() if u.pk in owner_ids]
            labels = ["Sangat puas", "Cukup puas", "Kurang puas"]
            poll = poll_create(
                author=owners[0],
                title=f"{title_prefix} {product.name}: seberapa puas Anda?"[:200],
                body_md="Hanya pembeli produk ini yang bisa memilih. Terima kasih!",
                options=labels,
                results=Poll.Results.ON_CLOSE,
                owners_only=True,
                product_id=product.pk,
            )
            _publish(poll, staff)
            _votes(poll, [(u, [labels[n % 2]]) for n, u in enumerate(owners)], stdout)
            made += 1
    stdout.write(f"  polls: {made} made")
