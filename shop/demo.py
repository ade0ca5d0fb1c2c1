"""Demo catalog for `manage.py seed_demo` (registered in ShopConfig.ready):
a small Indonesian shop with categories, brands, products with generated
images and variants, shipping methods, coupons and past orders from the
demo shoppers. Deterministic and idempotent: a second run finds everything
by slug, SKU, name, code or idempotency key and adds nothing."""

from __future__ import annotations

import colorsys
import functools
import hashlib
import io
import math
import random
import time
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
from shop import demo_translations
from shop.models import (
    Brand,
    Category,
    Coupon,
    Order,
    Product,
    ProductImage,
    ShippingMethod,
    Variant,
)
from shop.services.cart import cart_add, cart_for_user
from shop.services.catalog import product_create, product_image_add, variant_add
from shop.services.checkout import checkout_place_order
from shop.services.orders import (
    order_complete,
    order_fulfil,
    order_mark_delivered,
    order_mark_paid,
)
from shop.services.pricing import lines_subtotal, shipping_method_offered

IMAGE_SIDE = 480  # the object coordinates below are drawn for this side
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
# A demo picture shows what the product is (a coffee bag, a shirt, a basket),
# in a colour of its own, with its name on a label. Deterministic: the same
# product gets the same picture on every machine.

# category slug -> the object drawn
PICTURES = {
    "batik": "shirt",
    "kebaya": "dress",
    "kaos": "tshirt",
    "kain": "cloth",
    "kitchen": "bowl",
    "decor": "vase",
    "coffee": "bag",
    "tea": "pouch",
    "snacks": "box",
    "spices": "jar",
    "woven": "basket",
    "carving": "board",
    "jamu": "bottle",
    "bodycare": "jar",
    "accessories": "tote",
}

# colour words in a product's name or options -> RGB
COLOURS = {
    "merah marun": (128, 28, 48),
    "hijau botol": (24, 92, 62),
    "krem": (196, 170, 120),
    "biru dongker": (28, 44, 96),
    "hitam": (44, 42, 40),
    "putih": (226, 222, 212),
}

CREAM = (250, 246, 238)
INK = (38, 32, 28)


def _colour_of(name: str, options: dict) -> tuple[int, int, int]:
    words = " ".join([name, *map(str, options.values())]).lower()
    for word, rgb in COLOURS.items():
        if word in words:
            return rgb
    digest = hashlib.sha256(name.encode()).digest()
    hue = digest[0] / 255
    lightness = 0.32 + digest[1] / 255 * 0.16
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, 0.55)
    return (round(red * 255), round(green * 255), round(blue * 255))


def _mix(colour, other, share: float) -> tuple[int, int, int]:
    return tuple(round(a * (1 - share) + b * share) for a, b in zip(colour, other, strict=True))


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _label(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str) -> None:
    """The product's name on a cream label, in the largest size that fits."""
    left, top, right, bottom = box
    draw.rounded_rectangle(box, radius=10, fill=CREAM)
    pad = 10
    for size in (30, 26, 22, 19, 16):
        font = _font(size)
        lines = _wrap(draw, text, font, right - left - 2 * pad)
        height = len(lines) * size * 1.2
        if height <= bottom - top - 2 * pad and all(
            draw.textlength(line, font=font) <= right - left - 2 * pad for line in lines
        ):
            break
    y = (top + bottom) / 2 - height / 2 + size * 0.6
    for line in lines:
        draw.text(((left + right) / 2, y), line, font=font, fill=INK, anchor="mm")
        y += size * 1.2


def _draw_object(draw: ImageDraw.ImageDraw, picture: str, colour, dark, light) -> tuple:
    """Draw the object on a 480-pixel canvas; returns the box of its label."""
    if picture == "bag":  # a coffee bag with a folded top and a valve
        draw.polygon([(140, 130), (340, 130), (364, 410), (116, 410)], fill=colour)
        draw.rectangle((140, 96, 340, 134), fill=dark)
        draw.ellipse((228, 150, 252, 174), fill=light)
        return (146, 196, 334, 340)
    if picture == "pouch":  # a stand-up tea pouch with a zip line
        draw.rounded_rectangle((136, 100, 344, 410), radius=28, fill=colour)
        draw.line([(150, 140), (330, 140)], fill=dark, width=6)
        return (152, 190, 328, 330)
    if picture in {"shirt", "tshirt"}:
        sleeve = 215 if picture == "shirt" else 185
        draw.polygon(
            [
                (150, 110),
                (200, 92),
                (280, 92),
                (330, 110),
                (410, sleeve - 40),
                (375, sleeve),
                (330, 180),
                (330, 410),
                (150, 410),
                (150, 180),
                (105, sleeve),
                (70, sleeve - 40),
            ],
            fill=colour,
        )
        if picture == "shirt":  # a collar and a batik motif
            draw.polygon([(200, 92), (240, 140), (280, 92)], fill=light)
            for x in range(172, 320, 34):
                for y in range(170, 400, 34):
                    draw.ellipse((x - 7, y - 7, x + 7, y + 7), outline=light, width=3)
        else:
            draw.ellipse((205, 74, 275, 122), fill=_mix(colour, CREAM, 0.85))
        return (160, 238, 320, 352)
    if picture == "dress":
        draw.polygon(
            [(196, 92), (284, 92), (300, 210), (380, 414), (100, 414), (180, 210)], fill=colour
        )
        draw.line([(180, 210), (300, 210)], fill=light, width=8)
        draw.polygon([(214, 92), (240, 150), (266, 92)], fill=light)
        return (150, 262, 330, 370)
    if picture == "cloth":  # a stack of folded woven cloth
        for n, top in enumerate((300, 220, 140)):
            shade = _mix(colour, CREAM, 0.12 * n)
            draw.rounded_rectangle((96, top, 384, top + 96), radius=14, fill=shade)
            for x in range(112, 380, 24):
                draw.line([(x, top + 8), (x + 12, top + 88)], fill=dark, width=3)
        return (140, 156, 340, 222)
    if picture == "bowl":
        draw.pieslice((90, 110, 390, 400), 0, 180, fill=colour)
        draw.ellipse((90, 230, 390, 280), fill=dark)
        return (150, 288, 330, 370)
    if picture == "vase":
        draw.ellipse((130, 170, 350, 412), fill=colour)
        draw.rectangle((200, 96, 280, 200), fill=colour)
        draw.ellipse((184, 84, 296, 112), fill=dark)
        return (152, 236, 328, 350)
    if picture == "box":  # a box of cakes with its lid
        draw.rectangle((120, 180, 360, 410), fill=colour)
        draw.rectangle((108, 140, 372, 186), fill=dark)
        return (140, 220, 340, 370)
    if picture == "jar":
        draw.rounded_rectangle((140, 160, 340, 412), radius=36, fill=colour)
        draw.rounded_rectangle((160, 110, 320, 166), radius=10, fill=dark)
        return (156, 216, 324, 350)
    if picture == "basket":  # woven body and a handle
        draw.arc((150, 80, 330, 300), 180, 360, fill=dark, width=14)
        draw.polygon([(104, 190), (376, 190), (334, 412), (146, 412)], fill=colour)
        for y in range(204, 410, 22):
            draw.line([(110, y), (370, y)], fill=dark, width=3)
        for x in range(130, 370, 30):
            draw.line([(x, 192), (x + 8, 410)], fill=dark, width=2)
        return (140, 250, 340, 360)
    if picture == "board":  # a carved panel with a flower
        draw.rounded_rectangle((110, 96, 370, 412), radius=22, fill=colour)
        draw.rounded_rectangle((126, 112, 354, 396), radius=14, outline=dark, width=6)
        for angle in range(0, 360, 60):
            x = 240 + 50 * math.cos(math.radians(angle))
            y = 160 + 30 * math.sin(math.radians(angle))
            draw.ellipse((x - 20, y - 14, x + 20, y + 14), outline=light, width=4)
        return (146, 236, 334, 364)
    if picture == "bottle":
        draw.rounded_rectangle((168, 200, 312, 414), radius=30, fill=colour)
        draw.polygon([(168, 232), (210, 170), (270, 170), (312, 232)], fill=colour)
        draw.rectangle((212, 112, 268, 176), fill=colour)
        draw.rectangle((204, 86, 276, 118), fill=dark)
        return (176, 250, 304, 374)
    # a tote bag
    draw.arc((170, 80, 310, 250), 180, 360, fill=dark, width=12)
    draw.rounded_rectangle((110, 166, 370, 412), radius=18, fill=colour)
    return (142, 220, 338, 360)


def demo_image(
    *, name: str, category: str, options: dict | None = None, index: int = 0
) -> SimpleUploadedFile:
    """The product's picture: what it is, in its colour, with its name; a
    second or third picture of it puts the object on a patterned ground."""
    colour = _colour_of(name, options or {})
    dark = _mix(colour, INK, 0.35)
    light = _mix(colour, CREAM, 0.55)
    image = Image.new("RGB", (IMAGE_SIDE, IMAGE_SIDE), _mix(colour, CREAM, 0.86))
    draw = ImageDraw.Draw(image)
    if index:
        ground = _mix(colour, CREAM, 0.74)
        step = 40 if index == 1 else 28
        for k in range(-IMAGE_SIDE, IMAGE_SIDE, step):
            draw.line([(k, IMAGE_SIDE), (k + IMAGE_SIDE, 0)], fill=ground, width=step // 3)
    draw.ellipse((80, 424, 400, 452), fill=_mix(colour, CREAM, 0.7))  # its shadow
    box = _draw_object(draw, PICTURES.get(category, "box"), colour, dark, light)
    _label(draw, box, name)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return SimpleUploadedFile(f"{slugify(name)}-{index}.jpg", out.getvalue(), "image/jpeg")


# --- Catalog -------------------------------------------------------------------------


def _categories() -> dict[str, Category]:
    found: dict[str, Category] = {c.slug: c for c in Category.objects.all()}
    for position, (slug, name, parent, description) in enumerate(CATEGORIES):
        if slug in found:
            continue
        data = {
            "name_en": name,
            "slug": slug,
            "description_en": description,
            "position": position,
        }
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
    return f"**{item.name}**. {spec.blurb}\n\n{bullets}\n\n{demo_translations.CLOSING['en']}"


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
    for index in range(rng.choice([1, 1, 1, 2, 3])):
        product_image_add(
            product=product,
            upload=demo_image(
                name=item.name, category=spec.category, options=first[3], index=index
            ),
            alt_text=f"{item.name} ({index + 1})",
        )
    return product


def _shipping() -> list[ShippingMethod]:
    methods = [
        ("JNE Reguler", ShippingMethod.Kind.FLAT, "18000", None, "2-4 working days."),
        # The checkout says "free for orders from ..." itself, in the shop's format.
        ("JNE YES", ShippingMethod.Kind.FREE_OVER, "25000", "500000", "1-2 working days."),
        ("Pick up at the shop", ShippingMethod.Kind.PICKUP, "0", None, "Jl. Malioboro 12, Yogya."),
    ]
    # Demo shops seeded before named the free method after its threshold.
    ShippingMethod.objects.filter(name_en="Free shipping over Rp 500.000").update(
        name_en="JNE YES", description_en="1-2 working days."
    )
    found = []
    for position, (name, kind, price, free_over, description) in enumerate(methods):
        method, _created = ShippingMethod.objects.get_or_create(
            name_en=name,
            defaults={
                "kind": kind,
                "price": Decimal(price),
                "free_over": Decimal(free_over) if free_over else None,
                "description_en": description,
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


def _orders(shipping: list[ShippingMethod], rng: random.Random, stdout, step: _Step) -> int:
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
        step.tick(number + 1)
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
            quantities = {pk: rng.choice([1, 1, 2]) for pk in variants}
            for pk, quantity in quantities.items():
                cart_add(cart=cart, variant_id=pk, quantity=quantity)
            subtotal = lines_subtotal([(variants[pk], qty) for pk, qty in quantities.items()])
            method = shipping[number % len(shipping)]
            if not shipping_method_offered(method=method, subtotal=subtotal):
                method = shipping[0]  # free shipping is only offered over its minimum
            order = checkout_place_order(
                cart=cart,
                user=user,
                email=email,
                shipping_address=address,
                shipping_method_id=method.pk,
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


class _Step:
    """One step of the demo load on the console: a line as it goes (every
    `every` items) and one when it is done, with the time it took."""

    def __init__(self, stdout, label: str, total: int = 0, every: int = 20) -> None:
        self.stdout, self.label, self.total, self.every = stdout, label, total, every
        self.started = time.monotonic()

    def tick(self, done: int) -> None:
        if done % self.every == 0 and done < self.total:
            self.stdout.write(f"  {self.label} {done}/{self.total}")
            self.stdout.flush()

    def done(self, summary: str) -> None:
        seconds = time.monotonic() - self.started
        self.stdout.write(f"  {self.label}: {summary} ({seconds:.1f} s)")
        self.stdout.flush()


def seed_shop(stdout, *, products: int | None = None) -> None:
    """The demo shop. `products` limits the catalog (tests); by default every
    planned product (over 200) is made."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, repeatable on purpose
    now = timezone.now()
    stdout.write("Demo shop:")
    step = _Step(stdout, "Categories")
    categories = _categories()
    step.done(f"{len(categories)}")
    step = _Step(stdout, "Brands")
    brands = _brands()
    step.done(f"{len(brands)}")
    plan = _plan(products)
    step = _Step(stdout, "Products", total=len(plan))
    created = 0
    images_before = ProductImage.objects.count()
    for done, item in enumerate(plan, 1):
        # Each product draws from its own generator, so a partial catalog and
        # a full one describe the same product the same way.
        product_rng = random.Random(f"{SEED}-{item.sku_base}")  # noqa: S311
        if _add_product(item, product_rng, categories, brands, now):
            created += 1
        step.tick(done)
    images = ProductImage.objects.count() - images_before
    step.done(f"{len(plan)}/{len(plan)}, {created} new, with {images} new pictures")
    step = _Step(stdout, "Shipping methods")
    shipping = _shipping()
    step.done(f"{len(shipping)}")
    step = _Step(stdout, "Coupons")
    _coupons(now)
    step.done(f"{Coupon.objects.count()}")
    step = _Step(stdout, "Orders", total=ORDER_COUNT, every=10)
    orders = _orders(shipping, rng, stdout, step)
    step.done(f"{orders} new, no email sent (demo data)")
    step = _Step(stdout, "Indonesian text")
    translated = demo_translations.translate_demo_catalogue(_specs())
    step.done(f"{translated} products")
    stdout.write(
        f"Shop: {Product.objects.count()} products in {Category.objects.count()} categories "
        f"({created} new), {orders} new demo orders."
    )
