"""Forum demo data for `manage.py seed_demo`: a few categories and threads
written by the demo shoppers, through the forum services (idempotent: a
thread whose title exists is left alone)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from community.models import ForumCategory, Post, Thread, TrustLevel
from community.services import forums as services
from community.services.members import member_profile
from core.exceptions import ApplicationError

CATEGORIES = [
    # slug, name, description, Indonesian name, Indonesian description, shop category slug
    (
        "announcements",
        "Announcements",
        "News from the shop: new makers, events, opening hours.",
        "Pengumuman",
        "Kabar dari toko: perajin baru, acara, jam buka.",
        None,
    ),
    (
        "recipes",
        "Recipes & ideas",
        "What you cook, brew and make with what you bought here.",
        "Resep & ide",
        "Apa yang kamu masak, seduh dan buat dari belanjaanmu di sini.",
        None,
    ),
    (
        "coffee-talk",
        "Coffee talk",
        "Beans, grinders and brewing: everything in the Coffee shelf.",
        "Ngobrol kopi",
        "Biji, penggiling dan cara seduh: semua tentang rak Kopi.",
        "coffee",
    ),
    (
        "batik-kain",
        "Batik & kain",
        "Caring for, wearing and choosing batik and woven cloth.",
        "Batik & kain",
        "Merawat, memakai dan memilih batik serta kain tenun.",
        "batik",
    ),
    (
        "help",
        "Help",
        "Orders, delivery, your account: ask, other members and staff answer.",
        "Bantuan",
        "Pesanan, pengiriman, akun: tanya saja, anggota lain dan staf menjawab.",
        None,
    ),
]

# category, author email, title, body, tags, pinned, replies [(author, body, quote?, like by)]
THREADS = [
    (
        "announcements",
        "admin@kampung.test",
        "Welcome to the Kampung forums",
        "Selamat datang! This is the place to talk about what you buy and make.\n\n"
        "- Be kind, be helpful.\n- Flag anything that should not be here.\n\n"
        "Tell us about yourself below.",
        ["welcome"],
        True,
        [
            ("budi@kampung.test", "Halo semua! Budi from Yogyakarta, here for the coffee.", False),
            ("dewi@kampung.test", "Hi! Dewi, I sew kebaya on weekends.", True),
        ],
    ),
    (
        "coffee-talk",
        "budi@kampung.test",
        "Best grind size for a V60 with Gayo beans?",
        "I just got the Gayo single origin. With my V60 it tastes a bit sour. "
        "Finer grind, or hotter water?",
        ["v60", "gayo"],
        False,
        [
            (
                "agus@kampung.test",
                "Try a bit finer and 93°C water. Gayo likes a slower pour.",
                False,
            ),
            ("budi@kampung.test", "Finer did it, thanks! Much sweeter now.", True),
            ("dewi@kampung.test", "@budi_santoso can you share your ratio? 1:15?", False),
        ],
    ),
    (
        "coffee-talk",
        "agus@kampung.test",
        "Kopi tubruk di rumah: cara kalian?",
        "Saya suka kopi tubruk pagi-pagi. Berapa sendok kopi per gelas, dan pakai gula aren atau tidak?",
        ["tubruk"],
        False,
        [
            (
                "budi@kampung.test",
                "Dua sendok, air mendidih, tunggu empat menit. Tanpa gula!",
                False,
            ),
            ("dewi@kampung.test", "Saya pakai gula aren sedikit, enak sekali.", True),
        ],
    ),
    (
        "recipes",
        "dewi@kampung.test",
        "Sambal in a cobek: my grandmother's way",
        "Roast the chillies and shallots first, then grind them in the cobek with a pinch of "
        "salt and terasi. Lime at the end. What do you add?",
        ["sambal", "cobek"],
        False,
        [
            ("agus@kampung.test", "Tomato! Roasted, for a softer sambal.", False),
            ("budi@kampung.test", "A little palm sugar balances the terasi.", True),
        ],
    ),
    (
        "recipes",
        "budi@kampung.test",
        "Resep kue lapis legit untuk Lebaran",
        "Ada yang punya resep lapis legit yang tidak terlalu manis? Tahun ini mau coba bikin sendiri.",
        ["kue", "lebaran"],
        False,
        [
            (
                "dewi@kampung.test",
                "Kurangi gula jadi 200 gram dan tambah kayu manis. Sabar di tiap lapis!",
                False,
            )
        ],
    ),
    (
        "batik-kain",
        "dewi@kampung.test",
        "How do you wash batik tulis?",
        "My first batik tulis arrived. Cold water by hand? Any soap you trust?",
        ["care"],
        False,
        [
            ("agus@kampung.test", "Cold water, a mild soap (or lerak), dry in the shade.", False),
            ("dewi@kampung.test", "Lerak, of course. Thank you!", True),
        ],
    ),
    (
        "batik-kain",
        "agus@kampung.test",
        "Songket or ikat for a wedding gift?",
        "My cousin is getting married in Palembang. Songket feels right, but is it too formal?",
        ["gift"],
        False,
        [("budi@kampung.test", "Songket is perfect for Palembang, it is their pride.", False)],
    ),
    (
        "help",
        "agus@kampung.test",
        "Can I change the delivery address after ordering?",
        "I ordered this morning and moved house last week. Is it too late?",
        [],
        False,
        [
            (
                "admin@kampung.test",
                "Not too late while it is not shipped: write to us with the order number.",
                False,
            )
        ],
    ),
    (
        "help",
        "dewi@kampung.test",
        "Poin loyalty saya belum masuk",
        "Saya belanja kemarin tapi poinnya belum bertambah. Berapa lama biasanya?",
        [],
        False,
        [
            (
                "admin@kampung.test",
                "Poin masuk setelah pembayaran dikonfirmasi, biasanya dalam beberapa menit.",
                False,
            )
        ],
    ),
    (
        "announcements",
        "admin@kampung.test",
        "New makers this month: rattan from Cirebon",
        "Three rattan workshops from Cirebon joined the market. Look for them in Decor.",
        ["makers"],
        False,
        [],
    ),
]


def _categories() -> dict[str, ForumCategory]:
    from shop.models import Category

    shop_categories = {c.slug: c for c in Category.objects.all()}
    found = {}
    for position, (slug, name, description, name_id, description_id, shop_slug) in enumerate(
        CATEGORIES
    ):
        category, _created = ForumCategory.objects.get_or_create(
            slug=slug,
            defaults={
                "name_en": name,
                "description_en": description,
                "name_ind": name_id,
                "description_ind": description_id,
                "position": position * 10,
                "shop_category": shop_categories.get(shop_slug) if shop_slug else None,
            },
        )
        found[slug] = category
    return found


def seed_forums(stdout) -> None:
    users = {u.email: u for u in get_user_model().objects.filter(email__endswith="@kampung.test")}
    if len(users) < 3:
        stdout.write("Forums: no demo members, skipped.")
        return
    for user in users.values():
        profile = member_profile(user=user)
        # Demo members are regulars: the new-member limits would hold the
        # seeded posts for approval.
        if not profile.trust_level_locked:
            profile.trust_level = TrustLevel.MEMBER
            profile.trust_level_locked = True
            profile.save(update_fields=["trust_level", "trust_level_locked"])
    categories = _categories()
    moderator = next((u for u in users.values() if u.is_superuser), None)
    made = 0
    for slug, email, title, body, tags, pinned, replies in THREADS:
        author = users.get(email)
        if author is None or Thread.objects.filter(title=title).exists():
            continue
        try:
            thread = services.thread_create(
                author=author, category=categories[slug], title=title, body=body, tags=tags
            )
            opening = Post.objects.get(thread=thread, number=1)
            previous = opening
            for reply_email, reply_body, quote in replies:
                replier = users.get(reply_email)
                if replier is None:
                    continue
                text = reply_body
                if quote:
                    handle = member_profile(user=previous.author).handle
                    first_line = previous.body_md.splitlines()[0]
                    text = services.quote_text(body_md=first_line, handle=handle) + reply_body
                post = services.post_reply(
                    author=replier, thread=thread, body=text, reply_to=previous if quote else None
                )
                for liker in users.values():
                    if liker.pk not in (previous.author_id, replier.pk) and not liker.is_staff:
                        services.post_like(post=previous, user=liker)
                        break
                previous = post
            if pinned and moderator is not None:
                services.thread_pin(thread=thread, moderator=moderator)
        except ApplicationError as error:
            stdout.write(f"  forum thread {title!r} skipped: {error.message}")
            continue
        made += 1
    stdout.write(f"Forums: {len(categories)} categories, {made} new threads.")
