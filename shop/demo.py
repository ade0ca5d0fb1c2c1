"""Demo catalog for `manage.py seed_demo` (registered in ShopConfig.ready):
a small Indonesian shop with categories, brands, products with generated
images and variants, shipping methods, coupons and past orders from the
demo shoppers. Deterministic and idempotent: a second run finds everything
by slug, SKU, name, code or idempotency key and adds nothing."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from core.exceptions import ApplicationError
from shop.models import Brand, Category, Coupon, Order, Product, ShippingMethod, Variant
from shop.services.cart import cart_add, cart_for_user
from shop.services.catalog import product_create, product_image_add, variant_add
from shop.services.checkout import checkout_place_order
from shop.services.orders import (
    order_complete,
    order_fulfil,
    order_mark_delivered,
    order_mark_paid,
)

IMAGE_SIDE = 640
SEED = 2026

# slug, name, parent slug, description
CATEGORIES = [
    ("fashion", "Fashion", None, "Clothes and cloth from makers across the archipelago."),
    ("batik", "Batik", "fashion", "Hand-drawn *tulis* and stamped *cap* batik."),
    ("kebaya", "Kebaya & Dresses", "fashion", "Kebaya and woven dresses for every occasion."),
    ("kaos", "T-shirts & Tops", "fashion", "Everyday tops with local prints."),
    ("kain", "Sarongs & Cloth", "fashion", "Songket, ikat and tenun by the metre or piece."),
    ("home", "Home", None, "Things for the house, made by hand."),
    ("kitchen", "Kitchen", "home", "Cobek, kukusan and the tools of a real dapur."),
    ("decor", "Decor", "home", "Rattan, clay and teak for every room."),
    ("food", "Food & Drink", None, "From the farm and the home kitchen."),
    ("coffee", "Coffee", "food", "Single-origin beans, roasted weekly."),
    ("tea", "Tea", "food", "Leaf tea from the highland estates."),
    ("snacks", "Snacks & Cakes", "food", "Keripik, kue kering and oleh-oleh."),
    ("spices", "Sambal & Spices", "food", "Sambal, bumbu and palm sugar."),
    ("crafts", "Crafts", None, "Weaving and carving from village workshops."),
    ("woven", "Woven", "crafts", "Rattan, pandan and purun, woven by hand."),
    ("carving", "Wood Carving", "crafts", "Carved teak and suar from Jepara and Bali."),
    ("wellness", "Jamu & Body Care", None, "Traditional jamu and natural body care."),
    ("jamu", "Jamu", "wellness", "Herbal drinks as grandmother made them."),
    ("bodycare", "Body Care", "wellness", "Lulur, soaps and oils."),
    ("accessories", "Bags & Accessories", None, "Bags, jewellery and small things."),
]

BRANDS = {
    "batik": "Batik Kampung",
    "kebaya": "Rumah Kebaya Sekar",
    "kaos": "Kaos Kampung",
    "kain": "Tenun Nusantara",
    "kitchen": "Dapur Nenek",
    "decor": "Rotan Cirebon",
    "coffee": "Kopi Lereng",
    "tea": "Teh Kebun Kita",
    "snacks": "Kue Oma",
    "spices": "Sambal Mbok Ijah",
    "woven": "Anyaman Tasik",
    "carving": "Jati Jepara",
    "jamu": "Jamu Ibu Sri",
    "bodycare": "Sari Bali",
    "accessories": "Perak Celuk",
}

SIZES = ["S", "M", "L", "XL"]


@dataclass
class Spec:
    category: str
    code: str
    names: list[str]
    price: tuple[int, int]  # Rupiah, a range
    options: list[dict] = field(default_factory=list)  # one variant each; empty: default
    price_steps: list[Decimal] = field(default_factory=list)  # per option, multiplier
    tags: list[str] = field(default_factory=list)
    blurb: str = ""


def _cross(items: list[str], kinds: list[str]) -> list[str]:
    return [f"{item} {kind}" for kind in kinds for item in items]


def _specs() -> list[Spec]:
    motifs = ["Parang", "Kawung", "Mega Mendung", "Truntum", "Sekar Jagad", "Sidomukti", "Lasem"]
    origins = [
        "Gayo",
        "Toraja",
        "Kintamani",
        "Flores Bajawa",
        "Java Preanger",
        "Mandailing",
        "Kerinci",
        "Wamena",
        "Ijen",
        "Temanggung",
    ]
    return [
        Spec(
            "batik",
            "BTK",
            _cross(["Kemeja Batik", "Blus Batik", "Outer Batik", "Dress Batik"], motifs),
            (185_000, 450_000),
            [{"Size": s} for s in SIZES],
            [Decimal("1"), Decimal("1"), Decimal("1"), Decimal("1.05")],
            ["batik", "handmade", "cotton"],
            "Cotton batik, drawn and dyed in small batches; no two pieces are quite alike.",
        ),
        Spec(
            "kebaya",
            "KBY",
            _cross(
                ["Kebaya Kutubaru", "Kebaya Encim", "Kebaya Bali", "Dress Tenun"],
                ["Merah Marun", "Hijau Botol", "Krem", "Biru Dongker"],
            ),
            (275_000, 650_000),
            [{"Size": s} for s in SIZES],
            [Decimal("1")] * 4,
            ["kebaya", "occasion"],
            "Tailored in Solo with a soft lining; wear it to a wedding or to Friday at the office.",
        ),
        Spec(
            "kaos",
            "KOS",
            _cross(
                ["Kaos", "Kaos Oversize", "Hoodie"],
                ["Wayang", "Komodo", "Borobudur", "Rendang", "Angkot", "Kampung"],
            ),
            (95_000, 260_000),
            [{"Colour": c, "Size": s} for c in ["Hitam", "Putih"] for s in ["M", "L", "XL"]],
            [Decimal("1")] * 6,
            ["t-shirt", "print", "cotton"],
            "Combed cotton 30s, screen-printed by hand in Bandung.",
        ),
        Spec(
            "kain",
            "KAN",
            _cross(
                ["Sarung Tenun", "Kain Songket", "Kain Ikat", "Selendang"],
                ["Samarinda", "Palembang", "Sumba", "Toraja", "Bali"],
            ),
            (150_000, 1_200_000),
            tags=["tenun", "cloth", "handwoven"],
            blurb="Woven on a backstrap loom; a piece takes the weaver weeks.",
        ),
        Spec(
            "kitchen",
            "DPR",
            [
                "Cobek Batu Merapi",
                "Ulekan Kayu Sawo",
                "Kukusan Bambu",
                "Tampah Bambu",
                "Panci Tanah Liat",
                "Wajan Besi Cor",
                "Talenan Jati",
                "Sendok Kayu Set",
                "Rantang Enamel",
                "Teko Enamel",
                "Cetakan Kue Lumpur",
                "Cetakan Putu Ayu",
                "Parutan Kelapa",
                "Saringan Santan",
            ],
            (35_000, 320_000),
            [{"Size": s} for s in ["Kecil", "Sedang", "Besar"]],
            [Decimal("1"), Decimal("1.3"), Decimal("1.6")],
            ["kitchen", "dapur"],
            "The tool every Indonesian kitchen has, made to last a generation.",
        ),
        Spec(
            "decor",
            "DKR",
            [
                "Lampu Gantung Rotan",
                "Vas Gerabah Kasongan",
                "Topeng Kayu Panji",
                "Wayang Kulit Hiasan",
                "Cermin Bingkai Jati",
                "Keranjang Pandan",
                "Taplak Meja Batik",
                "Sarung Bantal Tenun",
                "Lilin Aromaterapi Sereh",
                "Lukisan Kaca Cirebon",
                "Patung Loro Blonyo",
                "Tikar Mendong",
            ],
            (65_000, 850_000),
            tags=["decor", "home"],
            blurb="Made by hand in a village workshop; small marks of the maker are part of it.",
        ),
        Spec(
            "coffee",
            "KOP",
            _cross([f"Kopi Arabika {o}" for o in origins], ["Natural", "Full Wash"]),
            (65_000, 140_000),
            [{"Weight": w} for w in ["250 g", "500 g", "1 kg"]],
            [Decimal("1"), Decimal("1.9"), Decimal("3.6")],
            ["coffee", "arabica", "single origin"],
            "Single-origin arabica, roasted medium every Monday and shipped the same week.",
        ),
        Spec(
            "tea",
            "TEH",
            _cross(
                ["Teh Hijau", "Teh Hitam", "Teh Melati", "Teh Putih"],
                ["Kayu Aro", "Tambi", "Gunung Mas"],
            ),
            (35_000, 180_000),
            tags=["tea", "highland"],
            blurb="Whole leaf from highland estates, packed in a resealable pouch.",
        ),
        Spec(
            "snacks",
            "CML",
            [
                "Keripik Tempe Malang",
                "Keripik Singkong Balado",
                "Rempeyek Kacang",
                "Kue Lapis Legit",
                "Nastar Nanas",
                "Kastengel Keju",
                "Putri Salju",
                "Bakpia Kacang Hijau",
                "Dodol Garut",
                "Wingko Babat",
                "Kerupuk Udang Sidoarjo",
                "Emping Melinjo",
                "Bika Ambon",
                "Pia Legong",
                "Kacang Disko",
                "Lanting Kebumen",
            ],
            (25_000, 220_000),
            tags=["snack", "oleh-oleh"],
            blurb="Baked or fried in small batches in a home kitchen; no preservatives.",
        ),
        Spec(
            "spices",
            "BMB",
            [
                "Sambal Bawang",
                "Sambal Roa",
                "Sambal Matah",
                "Sambal Terasi",
                "Bumbu Rendang",
                "Bumbu Rawon",
                "Bumbu Soto",
                "Bumbu Gulai",
                "Gula Aren Cair",
                "Kecap Manis Kedelai Hitam",
                "Terasi Bangka",
                "Garam Amed",
            ],
            (18_000, 95_000),
            tags=["sambal", "spices", "pedas"],
            blurb="Cooked the old way with fresh chillies and shallots; keeps for months unopened.",
        ),
        Spec(
            "woven",
            "ANY",
            [
                "Tas Rotan Bulat",
                "Keranjang Purun",
                "Topi Pandan",
                "Tas Mendong",
                "Dompet Anyaman",
                "Nampan Rotan",
                "Kap Lampu Bambu",
                "Tempat Tisu Rotan",
                "Bakul Nasi Bambu",
                "Tas Lontar",
            ],
            (45_000, 375_000),
            tags=["rattan", "woven", "handmade"],
            blurb="Woven by hand from natural fibre and finished with a clear coat.",
        ),
        Spec(
            "carving",
            "UKR",
            [
                "Ukiran Jepara Bunga",
                "Talenan Ukir",
                "Kotak Perhiasan Ukir",
                "Patung Garuda",
                "Relief Kayu Jati",
                "Gantungan Kunci Kayu",
                "Asbak Kayu Ukir",
                "Jam Dinding Ukir",
            ],
            (25_000, 1_500_000),
            tags=["teak", "carving", "handmade"],
            blurb="Carved from reclaimed teak by the workshops of Jepara.",
        ),
        Spec(
            "jamu",
            "JMU",
            [
                "Jamu Kunyit Asam",
                "Jamu Beras Kencur",
                "Wedang Uwuh",
                "Jahe Merah Instan",
                "Temulawak Instan",
                "Jamu Sari Rapet",
                "Jamu Galian Singset",
                "Kencur Bubuk",
            ],
            (22_000, 85_000),
            tags=["jamu", "herbal"],
            blurb="From the family recipe of Ibu Sri; brew it, sip it warm.",
        ),
        Spec(
            "bodycare",
            "PRW",
            [
                "Lulur Bali",
                "Sabun Sereh",
                "Minyak Kelapa Murni",
                "Masker Bengkoang",
                "Body Scrub Kopi",
                "Minyak Kayu Putih",
                "Balsem Cengkeh",
                "Sampo Lidah Buaya",
                "Bedak Dingin",
                "Minyak Urut Aromaterapi",
            ],
            (20_000, 150_000),
            tags=["body care", "natural"],
            blurb="Natural ingredients, cold-processed; no parabens.",
        ),
        Spec(
            "accessories",
            "AKS",
            [
                "Tas Tenun Ikat",
                "Gelang Perak Bali",
                "Anting Mutiara Lombok",
                "Dompet Batik",
                "Totebag Kanvas Batik",
                "Kalung Manik Dayak",
                "Ikat Kepala Udeng",
                "Bros Kebaya",
                "Syal Songket",
                "Tas Kulit Garut",
            ],
            (45_000, 900_000),
            tags=["accessories", "gift"],
            blurb="Small-batch work from artisans in Bali, Lombok and Garut.",
        ),
    ]


@dataclass
class Planned:
    spec: Spec
    name: str
    sku_base: str


def _plan(limit: int | None) -> list[Planned]:
    """Products interleaved across categories, so a smaller demo still
    covers every category."""
    queues = [
        [Planned(spec, name, f"{spec.code}-{n:03d}") for n, name in enumerate(spec.names, 1)]
        for spec in _specs()
    ]
    planned: list[Planned] = []
    while any(queues):
        for queue in queues:
            if queue:
                planned.append(queue.pop(0))
    return planned[:limit] if limit else planned


# --- Images --------------------------------------------------------------------------

PALETTES = [
    ((122, 47, 27), (232, 163, 61)),  # soga brown to turmeric
    ((20, 60, 110), (96, 165, 196)),  # indigo to sky
    ((35, 90, 60), (170, 205, 120)),  # forest to pandan
    ((120, 30, 60), (240, 140, 120)),  # marun to coral
    ((60, 40, 90), (190, 150, 210)),  # ungu to lavender
    ((90, 70, 40), (220, 200, 160)),  # coffee to cream
    ((160, 60, 20), (250, 210, 90)),  # chilli to mango
]


def _initials(name: str) -> str:
    words = [w for w in name.split() if w[:1].isalpha()]
    return "".join(w[0] for w in words[:2]).upper() or "K"


def demo_image(name: str, index: int, rng: random.Random) -> SimpleUploadedFile:
    """A gradient with a shape and the product's initials, different per
    product and per image."""
    side = IMAGE_SIDE
    top, bottom = rng.choice(PALETTES)
    if index % 2:
        top, bottom = bottom, top
    mask = Image.linear_gradient("L").rotate(rng.choice([0, 45, 90, 135])).resize((side, side))
    image = Image.composite(
        Image.new("RGB", (side, side), top), Image.new("RGB", (side, side), bottom), mask
    )
    draw = ImageDraw.Draw(image)
    light = (250, 246, 238)
    margin = side // 5 + rng.randint(-20, 20)
    box = (margin, margin, side - margin, side - margin)
    shape = (index + rng.randint(0, 3)) % 4
    if shape == 0:
        draw.ellipse(box, fill=light)
    elif shape == 1:
        draw.rounded_rectangle(box, radius=side // 12, fill=light)
    elif shape == 2:
        c = side // 2
        r = side // 2 - margin
        draw.polygon([(c, c - r), (c + r, c), (c, c + r), (c - r, c)], fill=light)
    else:
        for k in range(0, side, side // 8):
            draw.line([(k, 0), (0, k)], fill=light, width=side // 40)
            draw.line([(side, k), (k, side)], fill=light, width=side // 40)
        draw.ellipse(box, fill=light)
    font = ImageFont.load_default(size=side // 5)
    draw.text((side // 2, side // 2), _initials(name), font=font, fill=top, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    return SimpleUploadedFile(f"{slugify(name)}-{index}.jpg", out.getvalue(), "image/jpeg")


# --- Catalog -------------------------------------------------------------------------


def _categories() -> dict[str, Category]:
    found: dict[str, Category] = {c.slug: c for c in Category.objects.all()}
    for position, (slug, name, parent, description) in enumerate(CATEGORIES):
        if slug in found:
            continue
        data = {"name": name, "slug": slug, "description": description, "position": position}
        if parent is None:
            found[slug] = Category.objects.add_root(data)
        else:
            found[slug] = Category.objects.add_child(found[parent], data)
    return found


def _brands() -> dict[str, Brand]:
    brands = {}
    for category, name in BRANDS.items():
        brands[category], _created = Brand.objects.get_or_create(
            slug=slugify(name), defaults={"name": name}
        )
    return brands


def _round_price(amount: Decimal) -> Decimal:
    return (amount / 1000).quantize(Decimal("1")) * 1000


def _description(item: Planned, rng: random.Random) -> str:
    spec = item.spec
    points = rng.sample(
        [
            "Made by a family workshop we have bought from for years",
            "Packed in recycled paper, no plastic",
            "Ships within 2 working days",
            "Every piece checked by hand before it leaves",
            "Part of every sale goes back to the makers' cooperative",
        ],
        3,
    )
    bullets = "\n".join(f"- {point}" for point in points)
    return f"**{item.name}**. {spec.blurb}\n\n{bullets}\n\n_Tanya kami lewat pesan bila ragu._"


def _add_product(item: Planned, rng, categories, brands, now) -> Product | None:
    spec = item.spec
    slug = slugify(item.name)
    if Product.objects.filter(slug=slug).exists():
        return None
    base = _round_price(Decimal(rng.randint(*spec.price)))
    on_sale = rng.random() < 0.18
    sold_out = rng.random() < 0.07
    roll = rng.random()
    available_from = None
    if roll < 0.04:
        available_from = now + timedelta(days=rng.randint(3, 30))
    elif roll < 0.3:
        available_from = now - timedelta(days=rng.randint(1, 200))
    options = spec.options or [{}]
    steps = spec.price_steps or [Decimal("1")] * len(options)
    rows = []
    for option, step in zip(options, steps, strict=True):
        price = _round_price(base * step)
        stock = 0 if sold_out or rng.random() < 0.1 else rng.randint(3, 40)
        compare_at = _round_price(price * Decimal("1.25")) if on_sale else None
        suffix = "-".join(slugify(str(v)).upper()[:3] for v in option.values())
        sku = f"{item.sku_base}-{suffix}" if suffix else item.sku_base
        rows.append((sku, price, stock, option, compare_at))
    first = rows[0]
    product = product_create(
        name=item.name,
        slug=slug,
        category=categories[spec.category],
        brand=brands.get(spec.category),
        price=first[1],
        sku=first[0],
        stock=first[2],
        description=_description(item, rng),
        tags=[*spec.tags, *rng.sample(["new", "best seller", "gift", "local", "eco"], 1)],
        is_published=rng.random() > 0.02,
        is_featured=rng.random() < 0.06,
        available_from=available_from,
        seo_description=spec.blurb[:160],
    )
    if first[3] or first[4]:
        # The default variant gets its options and compare-at price; stock
        # was set at creation and is not touched here.
        Variant.objects.filter(product=product, sku=first[0]).update(
            options=first[3], compare_at_price=first[4]
        )
    for sku, price, stock, option, compare_at in rows[1:]:
        variant_add(
            product=product,
            sku=sku,
            price=price,
            stock=stock,
            options=option,
            compare_at_price=compare_at,
        )
    for index in range(rng.choice([1, 1, 2, 2, 3])):
        product_image_add(
            product=product,
            upload=demo_image(item.name, index, rng),
            alt_text=f"{item.name} ({index + 1})",
        )
    return product


def _shipping() -> list[ShippingMethod]:
    methods = [
        ("JNE Reguler", ShippingMethod.Kind.FLAT, "18000", None, "2-4 working days."),
        (
            "Free shipping over Rp 500.000",
            ShippingMethod.Kind.FREE_OVER,
            "25000",
            "500000",
            "JNE YES; free from Rp 500.000.",
        ),
        ("Pick up at the shop", ShippingMethod.Kind.PICKUP, "0", None, "Jl. Malioboro 12, Yogya."),
    ]
    found = []
    for position, (name, kind, price, free_over, description) in enumerate(methods):
        method, _created = ShippingMethod.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "price": Decimal(price),
                "free_over": Decimal(free_over) if free_over else None,
                "description": description,
                "position": position,
            },
        )
        found.append(method)
    return found


def _coupons(now) -> None:
    coupons = [
        ("SELAMATDATANG", Coupon.Kind.PERCENT, "10", {"first_order_only": True}),
        ("HEMAT25K", Coupon.Kind.FIXED, "25000", {"minimum_subtotal": Decimal("200000")}),
        ("GRATISONGKIR", Coupon.Kind.FREE_SHIPPING, "0", {"minimum_subtotal": Decimal("150000")}),
        ("KAMPUNGJUARA", Coupon.Kind.PERCENT, "50", {"usage_limit": 1}),
        (
            "MERDEKA17",
            Coupon.Kind.PERCENT,
            "17",
            {"usage_limit_per_user": 1, "valid_from": now, "valid_until": now + timedelta(30)},
        ),
    ]
    for code, kind, value, extra in coupons:
        Coupon.objects.get_or_create(
            code=code, defaults={"kind": kind, "value": Decimal(value), **extra}
        )


# --- Past orders -------------------------------------------------------------------

SHOPPERS = ["budi@kampung.test", "dewi@kampung.test", "agus@kampung.test"]
# Baskets that go together, so "customers also bought" has real co-purchases.
BASKETS = [
    ["coffee", "snacks"],
    ["coffee", "coffee", "kitchen"],
    ["batik", "accessories"],
    ["kebaya", "accessories", "kain"],
    ["tea", "snacks", "jamu"],
    ["spices", "kitchen"],
    ["decor", "woven"],
    ["bodycare", "jamu"],
    ["kaos", "coffee"],
    ["carving", "decor"],
]
ORDER_COUNT = 30
DEMO_ADDRESS = {
    "budi@kampung.test": ("Budi Santoso", "Jl. Kaliurang Km 5 No. 12", "Sleman", "DI Yogyakarta"),
    "dewi@kampung.test": ("Dewi Lestari", "Jl. Dago 88", "Bandung", "Jawa Barat"),
    "agus@kampung.test": ("Agus Pratama", "Jl. Teuku Umar 3", "Denpasar", "Bali"),
}


def _orders(shipping: list[ShippingMethod], rng: random.Random, stdout) -> int:
    users = {u.email: u for u in get_user_model().objects.filter(email__in=SHOPPERS)}
    if not users:
        stdout.write("  (no demo shoppers, so no past orders)")
        return 0
    now = timezone.now()
    buyable = {}
    for variant in (
        Variant.objects.filter(is_active=True, product__is_published=True, stock__gte=5)
        .filter(Q(product__available_from__isnull=True) | Q(product__available_from__lte=now))
        .select_related("product__category")
        .order_by("pk")
    ):
        buyable.setdefault(variant.product.category.slug, []).append(variant)
    placed = 0
    for number in range(ORDER_COUNT):
        email = SHOPPERS[number % len(SHOPPERS)]
        user = users.get(email)
        key = f"demo-order-{number}"
        if user is None or Order.objects.filter(email=email, idempotency_key=key).exists():
            continue
        basket = BASKETS[number % len(BASKETS)]
        variants = {}
        for category in basket:
            choices = buyable.get(category, [])[:6]  # a few favourites per category
            if choices:
                variant = rng.choice(choices)
                variants[variant.pk] = variant
        if not variants:
            continue
        name, line1, city, region = DEMO_ADDRESS[email]
        address = {
            "full_name": name,
            "phone": "0812-3456-7890",
            "line1": line1,
            "city": city,
            "region": region,
            "postal_code": "55281",
            "country": "ID",
        }
        try:
            cart = cart_for_user(user=user)
            cart.lines.all().delete()
            for variant in variants.values():
                cart_add(cart=cart, variant_id=variant.pk, quantity=rng.choice([1, 1, 2]))
            order = checkout_place_order(
                cart=cart,
                user=user,
                email=email,
                shipping_address=address,
                shipping_method_id=shipping[number % len(shipping)].pk,
                payment_gateway="bank_transfer",
                coupon_code="SELAMATDATANG" if number < len(SHOPPERS) else "",
                idempotency_key=key,
            )
            stage = number % 6
            if stage == 5 and number > ORDER_COUNT - 7:
                placed += 1
                continue  # a few recent orders still wait for the transfer
            order_mark_paid(order_id=order.pk, payment_reference=f"BCA-DEMO-{number:03d}")
            if stage >= 1:
                order_fulfil(
                    order_id=order.pk, carrier="JNE", tracking_number=f"JNE{8800120000 + number}"
                )
            if stage >= 2:
                order_mark_delivered(order_id=order.pk)
            if stage >= 3:
                order_complete(order_id=order.pk)
            placed += 1
        except ApplicationError as exc:
            stdout.write(f"  order {number} skipped: {exc.message}")
    return placed


def seed_shop(stdout, *, products: int | None = None) -> None:
    """The demo shop. `products` limits the catalog (tests); by default every
    planned product (over 200) is made."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, repeatable on purpose
    now = timezone.now()
    categories = _categories()
    brands = _brands()
    created = 0
    for item in _plan(products):
        # Each product draws from its own generator, so a partial catalog and
        # a full one describe the same product the same way.
        product_rng = random.Random(f"{SEED}-{item.sku_base}")  # noqa: S311
        if _add_product(item, product_rng, categories, brands, now):
            created += 1
    shipping = _shipping()
    _coupons(now)
    orders = _orders(shipping, rng, stdout)
    stdout.write(
        f"Shop: {Product.objects.count()} products in {Category.objects.count()} categories "
        f"({created} new), {orders} new demo orders."
    )
