"""The catalogue's search index: one per language, each built from the text
a visitor in that language sees (a translation, or the English text where
it is empty), and the word list typo correction looks words up in.

PostgreSQL: `shop_product.search_vector_<lang>`, a weighted tsvector (name A,
tags and brand B, description C) with a GIN index each. SQLite: an FTS5
table per language, `shop_product_search_<lang>` (rowid = product id;
columns name, keywords, description). The column and table names follow
modeltranslation's (`build_localized_fieldname`: "id" -> "ind").

Call `search_index_update(product_ids=...)` after a write that changes what
a product's search text is made of: its name or description in any language,
its tags, a tag's name, its brand or a brand's name. `product_refresh` calls
it for its product.
"""

# ruff: noqa: S608 - table and column names come from settings.LANGUAGES; values are parameters

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.utils.html import strip_tags
from modeltranslation.utils import build_localized_fieldname

from core.i18n import translated_languages

# Words shorter than this are not corrected (and not in the word list).
MIN_WORD_LENGTH = 3
MAX_WORD_LENGTH = 40
_WORD = re.compile(r"\w+")
_CHUNK = 500


def vector_column(language: str) -> str:
    return build_localized_fieldname("search_vector", language)


def fts_table(language: str) -> str:
    return build_localized_fieldname("shop_product_search", language)


def words(text: str) -> list[str]:
    """The lower-cased words of `text` that the word list holds: letters (no
    bare numbers), MIN_WORD_LENGTH to MAX_WORD_LENGTH long."""
    return [
        word
        for word in _WORD.findall(text.lower())
        if MIN_WORD_LENGTH <= len(word) <= MAX_WORD_LENGTH and not word.isdigit()
    ]


def word_keys(word: str) -> set[str]:
    """The word and the word with one letter left out."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


@dataclass(frozen=True)
class SearchDocument:
    product_id: int
    name: str
    keywords: str  # tags and brand
    description: str


def _text(row: dict, field: str, language: str) -> str:
    value = row.get(build_localized_fieldname(field, language)) or ""
    if not value.strip():
        value = row.get(build_localized_fieldname(field, settings.LANGUAGE_CODE)) or ""
    return value


def _description(row: dict, language: str) -> str:
    # The rendered HTML without its tags: no markdown syntax or link targets.
    own = row.get(build_localized_fieldname("description", language)) or ""
    source_language = language if own.strip() else settings.LANGUAGE_CODE
    rendered = row.get(build_localized_fieldname("description_html", source_language)) or ""
    if rendered.strip():
        return html.unescape(strip_tags(rendered))
    return row.get(build_localized_fieldname("description", source_language)) or ""


def _fetch(cursor, sql: str, params: Sequence) -> list[dict]:
    cursor.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def search_documents(*, product_ids: Sequence[int], using: str = "default") -> dict[str, list]:
    """{language: [SearchDocument, ...]} for the products (plain SQL on the
    tables, so the migration that builds the first index can use it)."""
    languages = translated_languages()
    columns = ", ".join(
        f"p.{build_localized_fieldname(field, language)}"
        for language in languages
        for field in ("name", "description", "description_html")
    )
    tag_columns = ", ".join(f"t.{build_localized_fieldname('name', lang)}" for lang in languages)
    placeholders = ", ".join(["%s"] * len(product_ids))
    with connections[using].cursor() as cursor:
        products = _fetch(
            cursor,
            f"SELECT p.id, b.name AS brand_name, {columns} FROM shop_product p "
            f"LEFT JOIN shop_brand b ON b.id = p.brand_id WHERE p.id IN ({placeholders})",
            list(product_ids),
        )
        tags = _fetch(
            cursor,
            f"SELECT tp.content_object_id AS product_id, {tag_columns} "
            f"FROM shop_taggedproduct tp JOIN shop_producttag t ON t.id = tp.tag_id "
            f"WHERE tp.content_object_id IN ({placeholders}) ORDER BY tp.id",
            list(product_ids),
        )
    tags_by_product: dict[int, list[dict]] = {}
    for tag in tags:
        tags_by_product.setdefault(tag["product_id"], []).append(tag)
    documents: dict[str, list] = {}
    for language in languages:
        documents[language] = [
            SearchDocument(
                product_id=row["id"],
                name=_text(row, "name", language),
                keywords=" ".join(
                    [
                        *(
                            _text(tag, "name", language)
                            for tag in tags_by_product.get(row["id"], [])
                        ),
                        row["brand_name"] or "",
                    ]
                ).strip(),
                description=_description(row, language),
            )
            for row in products
        ]
    return documents


def _write_postgresql(cursor, documents: dict[str, list[SearchDocument]]) -> None:
    # Every language's vector in one UPDATE per product: one new row version
    # (and one set of index entries), not one per language.
    languages = list(documents)
    by_product: dict[int, list] = {}
    for language in languages:
        for d in documents[language]:
            by_product.setdefault(d.product_id, []).extend([d.name, d.keywords, d.description])
    assignments = ", ".join(
        f"{vector_column(language)} = setweight(to_tsvector('simple', %s), 'A') "
        "|| setweight(to_tsvector('simple', %s), 'B') "
        "|| setweight(to_tsvector('simple', %s), 'C')"
        for language in languages
    )
    cursor.executemany(
        f"UPDATE shop_product SET {assignments} WHERE id = %s",
        [(*values, product_id) for product_id, values in by_product.items()],
    )


def _write_sqlite(cursor, language: str, documents: list[SearchDocument]) -> None:
    table = fts_table(language)
    ids = [d.product_id for d in documents]
    cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({', '.join(['%s'] * len(ids))})", ids)
    cursor.executemany(
        f"INSERT INTO {table} (rowid, name, keywords, description) VALUES (%s, %s, %s, %s)",
        [(d.product_id, d.name, d.keywords, d.description) for d in documents],
    )


def _words_add(cursor, language: str, found: set[str]) -> None:
    """Add the words the word list does not hold yet, under all their keys."""
    if not found:
        return
    listed = sorted(found)
    cursor.execute(
        "SELECT word FROM shop_searchword WHERE language = %s AND key = word "
        f"AND word IN ({', '.join(['%s'] * len(listed))})",
        [language, *listed],
    )
    known = {row[0] for row in cursor.fetchall()}
    rows = [
        (language, key, word)
        for word in listed
        if word not in known
        for key in sorted(word_keys(word))
    ]
    if not rows:
        return
    cursor.executemany(
        "INSERT INTO shop_searchword (language, key, word) VALUES (%s, %s, %s) "
        "ON CONFLICT (language, key, word) DO NOTHING",
        rows,
    )


def search_index_update(*, product_ids: Iterable[int], using: str = "default") -> None:
    """Index the products' current text in every language (deleted products
    drop out of the SQLite index; PostgreSQL's vectors go with their rows)."""
    ids = sorted(set(product_ids))
    connection = connections[using]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        documents = search_documents(product_ids=chunk, using=using)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                _write_postgresql(cursor, documents)
            for language, docs in documents.items():
                if connection.vendor != "postgresql":
                    # Deleted products: their rows go, nothing is written back.
                    missing = set(chunk) - {d.product_id for d in docs}
                    if missing:
                        table = fts_table(language)
                        cursor.execute(
                            f"DELETE FROM {table} WHERE rowid IN "
                            f"({', '.join(['%s'] * len(missing))})",
                            sorted(missing),
                        )
                    if docs:
                        _write_sqlite(cursor, language, docs)
                found = {
                    word for d in docs for word in words(f"{d.name} {d.keywords} {d.description}")
                }
                _words_add(cursor, language, found)


def search_index_rebuild(*, using: str = "default") -> int:
    """Index every product from scratch, word list included (drops the
    words no product has any more). Returns the number of products."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM shop_searchword")
        if connection.vendor != "postgresql":
            for language in translated_languages():
                cursor.execute(f"DELETE FROM {fts_table(language)}")
        cursor.execute("SELECT id FROM shop_product ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
    search_index_update(product_ids=ids, using=using)
    return len(ids)


def search_index_update_for_tags(*, tag_ids: Iterable[int]) -> None:
    """After a tag's name changed (in any language): index its products."""
    from shop.models import TaggedProduct

    search_index_update(
        product_ids=TaggedProduct.objects.filter(tag_id__in=list(tag_ids))
        .values_list("content_object_id", flat=True)
        .distinct()
    )


def search_index_update_for_brands(*, brand_ids: Iterable[int]) -> None:
    """After a brand's name changed: index its products."""
    from shop.models import Product

    search_index_update(
        product_ids=Product.objects.filter(brand_id__in=list(brand_ids)).values_list(
            "pk", flat=True
        )
    )
