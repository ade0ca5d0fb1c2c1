"""Per-member cached figures that a change can never leave stale.

Deleting a key on commit is not enough: a page that read the database just
before the change committed stores the old figure just after the delete, and
the member sees it for an hour (the order confirmation page, while the worker
awards the order's points, is exactly that moment). So every member's entry
carries a *stamp*, a random token kept beside it:

- a reader takes the stamp (making one if there is none) *before* reading the
  database, and stores its figure together with that stamp;
- a change deletes the stamp once it commits;
- an entry counts only while its stamp is the current one.

A figure read before a commit therefore carries a stamp that the commit has
already deleted, and is never served. A generation number, bumped when staff
edit something every member's figure depends on, is checked the same way.
Everything a page needs comes in one round trip (get_many)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction


class StampedCache:
    def __init__(self, prefix: str, timeout: int, *, value_prefix: str | None = None) -> None:
        """`value_prefix` (default `prefix`) names the stored figures apart
        from the stamps: caches with one `prefix` and different value
        prefixes keep different figures that one change() orphans alike."""
        self.prefix = prefix
        self.value_prefix = value_prefix or prefix
        self.timeout = timeout
        self.generation_key = f"{prefix}:generation"

    def _value_key(self, user_id: int) -> str:
        return f"{self.value_prefix}:{user_id}"

    def _stamp_key(self, user_id: int) -> str:
        return f"{self.prefix}:stamp:{user_id}"

    def get_many(
        self, user_ids: Iterable[int], read: Callable[[list[int]], dict[int, Any]]
    ) -> dict[int, Any]:
        """Every member's figure: from the cache where its stamp holds,
        otherwise from `read(missing_ids)` (one call for all of them)."""
        ids = list(dict.fromkeys(int(pk) for pk in user_ids))
        if not ids:
            return {}
        keys = [self.generation_key]
        for user_id in ids:
            keys += [self._value_key(user_id), self._stamp_key(user_id)]
        got = cache.get_many(keys)
        generation = got.get(self.generation_key, 0)
        found: dict[int, Any] = {}
        stamps: dict[int, str] = {}
        new_stamps: dict[str, str] = {}
        for user_id in ids:
            stamp = got.get(self._stamp_key(user_id))
            entry = got.get(self._value_key(user_id))
            if stamp is not None and entry is not None and entry[:2] == (stamp, generation):
                found[user_id] = entry[2]
                continue
            if stamp is None:
                stamp = uuid.uuid4().hex
                new_stamps[self._stamp_key(user_id)] = stamp
            stamps[user_id] = stamp
        if not stamps:
            return found
        if new_stamps:  # before the database is read: see the module docstring
            cache.set_many(new_stamps, self.timeout)
        fresh = read(list(stamps))
        cache.set_many(
            {
                self._value_key(user_id): (stamp, generation, fresh[user_id])
                for user_id, stamp in stamps.items()
            },
            self.timeout,
        )
        return found | {user_id: fresh[user_id] for user_id in stamps}

    def get(self, user_id: int, read: Callable[[int], Any]) -> Any:
        return self.get_many([user_id], lambda ids: {ids[0]: read(ids[0])})[int(user_id)]

    def changed(self, *, user_id: int) -> None:
        """The member's figure changed: read it again once the change commits."""
        key = self._stamp_key(user_id)
        transaction.on_commit(lambda: cache.delete(key))

    def changed_many(self, *, user_ids) -> None:
        """`changed` for many members, with one cache call."""
        keys = [self._stamp_key(user_id) for user_id in user_ids]
        if keys:
            transaction.on_commit(lambda: cache.delete_many(keys))

    def all_changed(self) -> None:
        """Something every member's figure depends on changed (after commit)."""

        def bump() -> None:
            try:
                cache.incr(self.generation_key)
            except ValueError:
                cache.set(self.generation_key, 1, None)

        transaction.on_commit(bump)
