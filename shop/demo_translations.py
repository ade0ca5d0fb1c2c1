"""Bahasa Indonesia for the demo catalogue (shop/demo.py): categories,
descriptions, tags and shipping methods. Product names are the makers' own
Indonesian names in both languages, as a real shop would keep them."""

from __future__ import annotations

# category slug -> (name, description)
CATEGORIES = {
    "fashion": ("Fesyen", "Pakaian dan kain dari para perajin di seluruh Nusantara."),
    "batik": ("Batik", "Batik *tulis* yang digambar tangan dan batik *cap*."),
    "kebaya": ("Kebaya & Gaun", "Kebaya dan gaun tenun untuk setiap acara."),
    "kaos": ("Kaos & Atasan", "Atasan sehari-hari dengan motif lokal."),
    "kain": ("Sarung & Kain", "Songket, ikat dan tenun per meter atau per lembar."),
    "home": ("Rumah", "Barang-barang rumah buatan tangan."),
    "kitchen": ("Dapur", "Cobek, kukusan dan perkakas dapur sungguhan."),
    "decor": ("Dekorasi", "Rotan, gerabah dan jati untuk setiap ruangan."),
    "food": ("Makanan & Minuman", "Dari kebun dan dapur rumahan."),
    "coffee": ("Kopi", "Biji kopi single origin, disangrai setiap minggu."),
    "tea": ("Teh", "Teh daun dari perkebunan dataran tinggi."),
    "snacks": ("Camilan & Kue", "Keripik, kue kering dan oleh-oleh."),
    "spices": ("Sambal & Bumbu", "Sambal, bumbu dan gula aren."),
    "crafts": ("Kerajinan", "Anyaman dan ukiran dari bengkel-bengkel desa."),
    "woven": ("Anyaman", "Rotan, pandan dan purun, dianyam dengan tangan."),
    "carving": ("Ukiran Kayu", "Jati dan suar berukir dari Jepara dan Bali."),
    "wellness": ("Jamu & Perawatan Tubuh", "Jamu tradisional dan perawatan tubuh alami."),
    "jamu": ("Jamu", "Minuman herbal seperti buatan nenek."),
    "bodycare": ("Perawatan Tubuh", "Lulur, sabun dan minyak."),
    "accessories": ("Tas & Aksesori", "Tas, perhiasan dan barang-barang kecil."),
}

# spec category -> the Indonesian of its blurb
BLURBS = {
    "batik": "Batik katun, digambar dan diwarnai dalam jumlah kecil; tak ada dua yang persis sama.",
    "kebaya": "Dijahit di Solo dengan furing lembut; cocok untuk kondangan maupun Jumat di kantor.",
    "kaos": "Katun combed 30s, disablon tangan di Bandung.",
    "kain": "Ditenun dengan alat tenun gedogan; satu lembar memakan waktu berminggu-minggu.",
    "kitchen": "Perkakas yang ada di setiap dapur Indonesia, dibuat awet turun-temurun.",
    "decor": "Dibuat tangan di bengkel desa; jejak kecil perajinnya bagian dari keindahannya.",
    "coffee": "Arabika single origin, disangrai medium setiap Senin dan dikirim minggu itu juga.",
    "tea": "Daun utuh dari perkebunan dataran tinggi, dikemas dalam kantong yang bisa ditutup lagi.",
    "snacks": "Dipanggang atau digoreng sedikit demi sedikit di dapur rumahan; tanpa pengawet.",
    "spices": "Dimasak cara lama dengan cabai dan bawang merah segar; awet berbulan-bulan "
    "selama belum dibuka.",
    "woven": "Dianyam tangan dari serat alami dan dilapisi pelapis bening.",
    "carving": "Diukir dari kayu jati daur ulang oleh bengkel-bengkel Jepara.",
    "jamu": "Dari resep keluarga Ibu Sri; seduh dan nikmati hangat-hangat.",
    "bodycare": "Bahan alami, diproses dingin; tanpa paraben.",
    "accessories": "Buatan perajin Bali, Lombok dan Garut dalam jumlah kecil.",
}

# the description's bullet points, English -> Indonesian
POINTS = {
    "Made by a family workshop we have bought from for years": (
        "Dibuat oleh bengkel keluarga langganan kami bertahun-tahun"
    ),
    "Packed in recycled paper, no plastic": "Dikemas dengan kertas daur ulang, tanpa plastik",
    "Ships within 2 working days": "Dikirim dalam 2 hari kerja",
    "Every piece checked by hand before it leaves": "Setiap barang dicek dengan tangan sebelum dikirim",
    "Part of every sale goes back to the makers' cooperative": (
        "Sebagian dari setiap penjualan kembali ke koperasi perajin"
    ),
}

# the description's closing line
CLOSING = {
    "en": "_Not sure? Send us a message._",
    "id": "_Tanya kami lewat pesan bila ragu._",
}

# tag (English name) -> Indonesian name; unlisted tags read the same in both
TAGS = {
    "handmade": "buatan tangan",
    "cotton": "katun",
    "occasion": "acara",
    "t-shirt": "kaos",
    "print": "sablon",
    "cloth": "kain",
    "handwoven": "tenun tangan",
    "kitchen": "perkakas dapur",
    "decor": "dekorasi",
    "home": "rumah",
    "coffee": "kopi",
    "arabica": "arabika",
    "single origin": "satu asal",
    "tea": "teh",
    "highland": "dataran tinggi",
    "snack": "camilan",
    "spices": "bumbu",
    "rattan": "rotan",
    "woven": "anyaman",
    "teak": "jati",
    "carving": "ukiran",
    "body care": "perawatan tubuh",
    "natural": "alami",
    "accessories": "aksesori",
    "gift": "hadiah",
    "best seller": "terlaris",
    "eco": "ramah lingkungan",
    "local": "lokal",
    "new": "baru",
}

# shipping method (English name) -> (name, description)
SHIPPING = {
    "JNE Reguler": ("JNE Reguler", "2-4 hari kerja."),
    "JNE YES": ("JNE YES", "1-2 hari kerja."),
    "Pick up at the shop": ("Ambil di toko", "Jl. Malioboro 12, Yogya."),
}


def _indonesian_description(english: str, blurb_en: str, blurb_id: str) -> str:
    text = english.replace(blurb_en, blurb_id)
    for point_en, point_id in POINTS.items():
        text = text.replace(point_en, point_id)
    return text.replace(CLOSING["en"], CLOSING["id"])


def translate_demo_catalogue(specs, stdout=None) -> int:
    """Give the demo catalogue its Indonesian text, in place: categories,
    product descriptions (built from the English one, point by point), tags
    and shipping methods. Idempotent; returns how many products changed."""
    from django.db.models import Q

    from shop.models import Category, Product, ProductTag, ShippingMethod
    from shop.services.catalog import localized, product_refresh

    for slug, (name, description) in CATEGORIES.items():
        Category.objects.filter(slug=slug).update(
            **{localized("name", "id"): name, localized("description", "id"): description}
        )
    for name_en, name_id in TAGS.items():
        ProductTag.objects.filter(**{localized("name"): name_en}).update(
            **{localized("name", "id"): name_id}
        )
    for name_en, (name_id, description_id) in SHIPPING.items():
        ShippingMethod.objects.filter(**{localized("name"): name_en}).update(
            **{localized("name", "id"): name_id, localized("description", "id"): description_id}
        )
    changed = 0
    description_en, description_id = localized("description"), localized("description", "id")
    for spec in specs:
        blurb_id = BLURBS.get(spec.category)
        if not blurb_id or not spec.blurb:
            continue
        products = Product.objects.filter(
            Q(**{f"{description_id}__isnull": True}) | Q(**{description_id: ""}),
            category__slug=spec.category,
            **{f"{description_en}__contains": spec.blurb},
        )
        for product in products.only("pk", description_en):
            english = getattr(product, description_en).replace(CLOSING["id"], CLOSING["en"])
            Product.objects.filter(pk=product.pk).update(
                **{
                    description_en: english,
                    description_id: _indonesian_description(english, spec.blurb, blurb_id),
                }
            )
            product_refresh(product_id=product.pk)
            changed += 1
    if stdout is not None and changed:
        stdout.write(f"  Indonesian text for {changed} products")
    return changed
