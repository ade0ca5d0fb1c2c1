"""Writing many rows' changed fields at once."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router


def rows_update(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of each saved instance, one UPDATE per row sent in one
    batch (psycopg pipelines `executemany`): for a few hundred rows an order
    of magnitude cheaper than `QuerySet.bulk_update`, whose CASE expressions
    take the ORM longer to build than the database to run. No signals, and
    auto_now fields are not touched: set them."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    pk = meta.pk
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "  # noqa: S608 - names from the model
        + ", ".join(f"{quote(field.column)} = %s" for field in columns)
        + f" WHERE {quote(pk.column)} = %s"
    )
    params = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [pk.get_db_prep_save(obj.pk, connection)]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
