"""One search index per catalogue language (shop/services/search_index.py).

PostgreSQL: `search_vector` becomes `search_vector_en`, `search_vector_ind`
is added, each with a GIN index; the trigram index on the old `name` column
goes (typo candidates now come from the word list, SearchWord). SQLite: an
FTS5 table per language, `shop_product_search_en` / `_ind` (rowid = product
id). Then every existing product is indexed."""

import django.contrib.postgres.search
from django.db import migrations, models

LANGUAGE_SUFFIXES = ("en", "ind")

PG_FORWARD = [
    "DROP INDEX IF EXISTS shop_product_search_gin",
    "DROP INDEX IF EXISTS shop_product_name_trgm",
    *(
        f"CREATE INDEX IF NOT EXISTS shop_product_search_{suffix}_gin "
        f"ON shop_product USING gin (search_vector_{suffix})"
        for suffix in LANGUAGE_SUFFIXES
    ),
    # Keep the vectors in the row (compressed) and let the descriptions go to
    # TOAST instead: ranking reads the vector of every match, and out of line
    # that was two more pages per match (14 ms -> 4.6 ms for 2,440 matches).
    *(
        f"ALTER TABLE shop_product ALTER COLUMN search_vector_{suffix} SET STORAGE MAIN"
        for suffix in LANGUAGE_SUFFIXES
    ),
]
PG_BACKWARD = [
    *(f"DROP INDEX IF EXISTS shop_product_search_{suffix}_gin" for suffix in LANGUAGE_SUFFIXES),
    "CREATE INDEX IF NOT EXISTS shop_product_search_gin ON shop_product USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS shop_product_name_trgm ON shop_product USING gin (name gin_trgm_ops)",
]
# unicode61 splits words as PostgreSQL's "simple" configuration does (and
# folds accents); the 2- and 3-letter prefix indexes serve the suggest box.
SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS shop_product_search_{suffix} USING fts5("
    "name, keywords, description, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    for suffix in LANGUAGE_SUFFIXES
]
SQLITE_BACKWARD = [
    f"DROP TABLE IF EXISTS shop_product_search_{suffix}" for suffix in LANGUAGE_SUFFIXES
]


def _run(vendor, statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != vendor:
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


def index_existing_products(apps, schema_editor):
    # The service reads and writes through plain SQL on the tables as they
    # are after this migration; a new database has nothing to index.
    from shop.services.search_index import search_index_rebuild

    search_index_rebuild(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("shop", "0007_catalogue_translations")]

    operations = [
        migrations.RunPython(
            _run("postgresql", PG_FORWARD[:2]), _run("postgresql", PG_BACKWARD[2:])
        ),
        migrations.RenameField(
            model_name="product", old_name="search_vector", new_name="search_vector_en"
        ),
        migrations.AddField(
            model_name="product",
            name="search_vector_ind",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("language", models.CharField(max_length=10)),
                ("key", models.CharField(max_length=40)),
                ("word", models.CharField(max_length=40)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("language", "key", "word"), name="shop_searchword_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(
            _run("postgresql", PG_FORWARD[2:]), _run("postgresql", PG_BACKWARD[:2])
        ),
        migrations.RunPython(_run("sqlite", SQLITE_FORWARD), _run("sqlite", SQLITE_BACKWARD)),
        migrations.RunPython(index_existing_products, migrations.RunPython.noop),
    ]
