from __future__ import annotations

from django.db import models


class SearchWord(models.Model):
    """A word of the catalogue's search index in one language, stored under
    each of its lookup keys: the word itself and the word with one letter
    left out ("batik" under batik, atik, btik, baik, batk, bati). A typed word
    looks up its own keys the same way, so a word one edit away (a letter
    missing, extra, wrong or two letters swapped) shares a key with it: typo
    candidates come from one indexed lookup, whatever the catalogue's size.
    Kept by shop.services.search_index; a word may outlive the last product
    that had it (the correction checks that a candidate still matches)."""

    language = models.CharField(max_length=10)
    key = models.CharField(max_length=40)
    word = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["language", "key", "word"], name="shop_searchword_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.word} ({self.language})"
