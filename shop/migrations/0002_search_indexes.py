"""PostgreSQL full-text and trigram search indexes. SQLite (local default)
has neither; the search selector falls back to LIKE there."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS shop_product_search_gin ON shop_product USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS shop_product_name_trgm ON shop_product USING gin (name gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS shop_product_search_gin",
    "DROP INDEX IF EXISTS shop_product_name_trgm",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
