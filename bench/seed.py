"""Seed a benchmark catalogue: 10,000 products and 100,000 paid orders.

Run against an empty, migrated PostgreSQL database of its own:

    export DJANGO_SETTINGS_MODULE=config.settings.local
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kampung_bench
    python manage.py migrate
    python bench/seed.py

Everything is written in one transaction, so a database is either fully
seeded or untouched. A second run finds the seeded catalogue and exits
without writing; a database holding other data is refused.

Rows are written with bulk_create in batches; the denormalised columns the
listing pages read (min_price, in_stock, description_html_en, sales_count)
are then filled with a few set-based UPDATEs instead of calling
`product_refresh` 10,000 times, and the search index (both languages' vectors
and the word list) is built by the real `search_index_rebuild`. Half of the
products and of the tags have an Indonesian name; descriptions are English
only (the Indonesian index falls back to them). Twenty small WebP images are
encoded once and every ProductImage row points at one of them.
"""

from __future__ import annotations

import io
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from core.markdown import render_markdown  # noqa: E402
from shop.models import (  # noqa: E402
    Brand,
    Category,
    Order,
    OrderLine,
    Product,
    ProductImage,
    ProductTag,
    TaggedProduct,
    Variant,
)
from shop.selectors import PURCHASED_STATUSES  # noqa: E402
from shop.services.search_index import search_index_rebuild  # noqa: E402

PRODUCTS = 10_000
ORDERS = 100_000
USERS = 1_000
ROOT_CATEGORIES = 10
CHILDREN_PER_ROOT = 4  # 10 roots + 40 children = 50 categories
BRANDS = 100
TAGS = 40
IMAGES = 20
DESCRIPTIONS = 20
BATCH = 2_000
SEED = 20_240_601

ADJECTIVES = [
    "Classic", "Handwoven", "Organic", "Rustic", "Modern", "Vintage", "Premium", "Everyday",
    "Heritage", "Bamboo", "Coastal", "Village", "Island", "Sunrise", "Monsoon", "Highland",
]  # fmt: skip
MATERIALS = [
    "Batik", "Rattan", "Teak", "Cotton", "Linen", "Silk", "Clay", "Coconut", "Pandan",
    "Ikat", "Songket", "Jute", "Leather", "Copper", "Stoneware", "Indigo",
]  # fmt: skip
NOUNS = [
    "Scarf", "Basket", "Bowl", "Shirt", "Sarong", "Tote", "Lamp", "Mat", "Tray", "Mug",
    "Pillow", "Blanket", "Coaster", "Vase", "Sandal", "Hat", "Wallet", "Spoon", "Candle",
    "Soap", "Coffee", "Tea", "Sambal", "Honey", "Kopi", "Notebook",
]  # fmt: skip
# Indonesian for the materials and nouns that have a word of their own.
INDONESIAN = {
    "Batik": "Batik", "Rattan": "Rotan", "Teak": "Jati", "Cotton": "Katun", "Linen": "Linen",
    "Silk": "Sutra", "Clay": "Tanah Liat", "Coconut": "Kelapa", "Pandan": "Pandan",
    "Jute": "Goni", "Leather": "Kulit", "Copper": "Tembaga", "Indigo": "Nila",
    "Scarf": "Selendang", "Basket": "Keranjang", "Bowl": "Mangkuk", "Shirt": "Kemeja",
    "Tote": "Tas", "Lamp": "Lampu", "Mat": "Tikar", "Tray": "Nampan", "Mug": "Cangkir",
    "Pillow": "Bantal", "Blanket": "Selimut", "Vase": "Vas", "Sandal": "Sandal",
    "Hat": "Topi", "Wallet": "Dompet", "Spoon": "Sendok", "Candle": "Lilin", "Soap": "Sabun",
    "Coffee": "Kopi", "Tea": "Teh", "Sambal": "Sambal", "Honey": "Madu", "Kopi": "Kopi",
    "Notebook": "Buku Catatan",
}  # fmt: skip
CATEGORY_NAMES = [
    "Home", "Fashion", "Kitchen", "Food & Drink", "Crafts", "Beauty", "Garden", "Gifts",
    "Outdoor", "Stationery",
]  # fmt: skip
CHILD_NAMES = ["Essentials", "Handmade", "Local Favourites", "New Makers"]
COLOURS = [
    (178, 34, 34), (34, 139, 34), (30, 144, 255), (218, 165, 32), (128, 0, 128),
    (255, 140, 0), (47, 79, 79), (199, 21, 133), (0, 128, 128), (139, 69, 19),
]  # fmt: skip


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)


def already_seeded() -> bool:
    products, orders = Product.objects.count(), Order.objects.count()
    if products >= PRODUCTS and orders >= ORDERS:
        print(f"Already seeded ({products} products, {orders} orders): nothing to do.")
        return True
    if products or orders or Category.objects.exists():
        sys.exit(
            f"Refusing to seed: the database already holds {products} products and "
            f"{orders} orders. Use an empty, migrated database."
        )
    return False


def make_images() -> list[tuple[str, str, str]]:
    """IMAGES small WebP files (large, card, thumb), encoded once."""
    paths = []
    for i in range(IMAGES):
        colour = COLOURS[i % len(COLOURS)]
        names = []
        for kind, side in (("large", 600), ("card", 480), ("thumb", 120)):
            img = Image.new("RGB", (side, side), colour)
            # A lighter square so the image is not a single flat colour.
            inner = Image.new(
                "RGB", (side // 2, side // 2), tuple(min(c + 80, 255) for c in colour)
            )
            img.paste(inner, (side // 4 + (i % 5) * side // 40, side // 4))
            buf = io.BytesIO()
            img.save(buf, "WEBP", quality=70)
            names.append(
                default_storage.save(f"bench/img-{i:02d}-{kind}.webp", ContentFile(buf.getvalue()))
            )
        paths.append(tuple(names))
    return paths


def make_categories() -> list[Category]:
    leaves = []
    for r, name in enumerate(CATEGORY_NAMES[:ROOT_CATEGORIES]):
        slug = name.lower().replace(" & ", "-").replace(" ", "-")
        root = Category.objects.add_root({"name": name, "slug": slug, "position": r})
        for c, child in enumerate(CHILD_NAMES[:CHILDREN_PER_ROOT]):
            child_slug = f"{slug}-{child.lower().replace(' ', '-')}"
            leaves.append(
                Category.objects.add_child(
                    root, {"name": f"{name} {child}", "slug": child_slug, "position": c}
                )
            )
    return leaves


def description_texts(rng: random.Random) -> list[str]:
    texts = []
    for i in range(DESCRIPTIONS):
        words = rng.sample(MATERIALS + NOUNS + ADJECTIVES, 12)
        texts.append(
            f"Made by a small workshop. **{' '.join(words[:3])}**, finished by hand.\n\n"
            f"- {' '.join(words[3:6]).lower()}\n- {' '.join(words[6:9]).lower()}\n\n"
            f"Care: wipe clean, keep dry. Batch {i + 1}; ships in recycled "
            f"[packaging](https://example.com/packaging). {' '.join(words[9:]).lower()}."
        )
    return texts


def seed() -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    now = timezone.now()

    image_paths = make_images()
    log(f"{IMAGES} images encoded", started)

    leaves = make_categories()
    brands = Brand.objects.bulk_create(
        Brand(name=f"{rng.choice(ADJECTIVES)} Makers {i:03d}", slug=f"makers-{i:03d}")
        for i in range(BRANDS)
    )
    tags = ProductTag.objects.bulk_create(
        ProductTag(
            name_en=f"{m.lower()} {n.lower()}",
            name_ind=(
                f"{INDONESIAN.get(n, n).lower()} {INDONESIAN.get(m, m).lower()}" if i % 2 else None
            ),
            slug=f"{m.lower()}-{n.lower()}",
        )
        for i, (m, n) in enumerate(
            zip(rng.sample(MATERIALS * 3, TAGS), rng.sample(NOUNS * 2, TAGS), strict=True)
        )
    )
    log(f"{len(leaves) + ROOT_CATEGORIES} categories, {BRANDS} brands, {TAGS} tags", started)

    texts = description_texts(rng)
    products = []
    for i in range(PRODUCTS):
        adjective, material, noun = rng.choice(ADJECTIVES), rng.choice(MATERIALS), rng.choice(NOUNS)
        name = f"{adjective} {material} {noun} {i + 1}"
        # Indonesian puts the noun first: "Kemeja Batik".
        name_ind = f"{INDONESIAN.get(noun, noun)} {INDONESIAN.get(material, material)} {i + 1}"
        products.append(
            Product(
                name_en=name,
                name_ind=name_ind if i % 2 else "",
                slug=f"p-{i + 1:05d}-{name.lower().replace(' ', '-')[:60]}",
                brand=brands[i % BRANDS],
                category=leaves[i % len(leaves)],
                description_en=texts[i % DESCRIPTIONS],
                is_published=True,
                is_featured=i % 97 == 0,
            )
        )
    products = Product.objects.bulk_create(products, batch_size=BATCH)
    # Spread creation dates over a year so "newest" is an ordering, not a tie.
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE shop_product SET created_at = %s - (id * interval '50 minutes')",
            [now],
        )
    variants = Variant.objects.bulk_create(
        (
            Variant(
                product=p,
                sku=f"SKU-{p.pk:06d}",
                price=Decimal(rng.randrange(10, 500) * 1000),
                compare_at_price=None if i % 5 else Decimal(600_000),
                stock=0 if i % 20 == 0 else rng.randrange(20, 500),
            )
            for i, p in enumerate(products)
        ),
        batch_size=BATCH,
    )
    images = []
    for i, p in enumerate(products):
        for position in range(3 if i % 10 == 0 else 1):
            large, card, thumb = image_paths[(i + position) % IMAGES]
            images.append(
                ProductImage(
                    product=p,
                    image=large,
                    card=card,
                    thumb=thumb,
                    alt_text=p.name,
                    position=position,
                )
            )
    ProductImage.objects.bulk_create(images, batch_size=BATCH)
    TaggedProduct.objects.bulk_create(
        (TaggedProduct(tag=tag, content_object=p) for p in products for tag in rng.sample(tags, 2)),
        batch_size=BATCH,
    )
    log(f"{PRODUCTS} products, variants, {len(images)} image rows, tags", started)

    User = get_user_model()
    unusable = make_password(None)  # no login: "!" and random text
    users = User.objects.bulk_create(
        (
            User(email=f"shopper{i:04d}@example.com", password=unusable, is_active=True)
            for i in range(USERS)
        ),
        batch_size=BATCH,
    )
    log(f"{USERS} users", started)

    # Skewed popularity (a few best sellers, a long tail) and baskets drawn
    # mostly from one category, so "bought together" has something to find.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(PRODUCTS)]
    shuffled = list(range(PRODUCTS))
    rng.shuffle(shuffled)
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    by_category: dict[int, list[int]] = {}
    for idx in range(PRODUCTS):
        by_category.setdefault(idx % len(leaves), []).append(idx)

    statuses = [Order.Status.PAID, Order.Status.COMPLETED, Order.Status.COMPLETED]
    line_count = 0
    for start in range(0, ORDERS, BATCH):
        orders, baskets = [], []
        for n in range(start, min(start + BATCH, ORDERS)):
            first = shuffled[rng.choices(range(PRODUCTS), cum_weights=cum)[0]]
            basket = {first}
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                if rng.random() < 0.7:
                    basket.add(rng.choice(by_category[first % len(leaves)]))
                else:
                    basket.add(shuffled[rng.choices(range(PRODUCTS), cum_weights=cum)[0]])
            items = [(variants[idx], rng.choice((1, 1, 1, 2, 3))) for idx in sorted(basket)]
            subtotal = sum((v.price * q for v, q in items), Decimal(0))
            user = users[n % USERS]
            orders.append(
                Order(
                    number=f"B{n + 1:08d}",
                    user=user,
                    email=user.email,
                    status=statuses[n % 3],
                    currency="IDR",
                    subtotal=subtotal,
                    total=subtotal,
                    payment_gateway="bank_transfer",
                    shipping_method_name="Flat rate",
                    paid_at=now,
                )
            )
            baskets.append(items)
        orders = Order.objects.bulk_create(orders)
        lines = [
            OrderLine(
                order=order,
                variant=variant,
                product_name=variant.product.name_en,
                sku=variant.sku,
                unit_price=variant.price,
                quantity=qty,
                line_total=variant.price * qty,
            )
            for order, items in zip(orders, baskets, strict=True)
            for variant, qty in items
        ]
        OrderLine.objects.bulk_create(lines)
        line_count += len(lines)
        if (start // BATCH) % 10 == 9 and start + BATCH < ORDERS:
            log(f"{start + BATCH} orders, {line_count} lines", started)
    log(f"{ORDERS} orders, {line_count} lines", started)

    fill_denormalised(texts)
    log("denormalised columns filled", started)
    search_index_rebuild()
    log("search index built (both languages, word list)", started)


def fill_denormalised(texts: list[str]) -> None:
    """What product_refresh keeps current, for every product at once."""
    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE shop_product p
               SET min_price = v.min_price, in_stock = v.in_stock
              FROM (SELECT product_id, MIN(price) AS min_price,
                           BOOL_OR(stock > reserved) AS in_stock
                      FROM shop_variant WHERE is_active GROUP BY product_id) v
             WHERE v.product_id = p.id
            """
        )
        # The descriptions repeat, so each is rendered once by the real renderer.
        for text in texts:
            cur.execute(
                "UPDATE shop_product SET description_html_en = %s WHERE description_en = %s",
                [render_markdown(text), text],
            )
        cur.execute(
            """
            UPDATE shop_product p
               SET sales_count = s.units
              FROM (SELECT v.product_id, SUM(l.quantity) AS units
                      FROM shop_orderline l
                      JOIN shop_order o ON o.id = l.order_id
                      JOIN shop_variant v ON v.id = l.variant_id
                     WHERE o.status = ANY(%s)
                     GROUP BY v.product_id) s
             WHERE s.product_id = p.id
            """,
            [list(PURCHASED_STATUSES)],
        )


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/seed.py needs PostgreSQL (DATABASE_URL=postgres://...).")
    if already_seeded():
        return
    with transaction.atomic():
        seed()
    # VACUUM too: the set-based UPDATEs left a dead version of every product
    # row, which the search's bitmap scans would otherwise visit as well.
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(
        f"Seeded {Product.objects.count()} products, {Order.objects.count()} orders, "
        f"{OrderLine.objects.count()} order lines."
    )


if __name__ == "__main__":
    main()
