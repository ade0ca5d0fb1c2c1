"""The kinds of member content, by code ("review", "post"...): flags, the
API and the moderation queue find a kind's model here. Each kind registers
its model in community/apps.py."""

from __future__ import annotations

from django.apps import apps

_kinds: dict[str, str] = {}


def kind_register(code: str, model_label: str) -> None:
    existing = _kinds.get(code)
    if existing is not None and existing != model_label:
        raise ValueError(f"Content kind {code!r} is taken by {existing}")
    _kinds[code] = model_label


def kind_model(code: str):
    """The model of a kind, or None for an unknown code."""
    label = _kinds.get(code)
    return apps.get_model(label) if label else None


def kind_codes() -> list[str]:
    return sorted(_kinds)
