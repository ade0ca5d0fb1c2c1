from __future__ import annotations

from django import forms

from core.notifications.kinds import NotificationKind


class PreferencesForm(forms.Form):
    """One choice of delivery per kind, named by the kind's code."""

    def __init__(self, *args, preferences: list[tuple[NotificationKind, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, delivery in preferences:
            self.fields[kind.code] = forms.ChoiceField(
                label=kind.label,
                choices=kind.choices,
                initial=delivery,
                help_text=kind.description,
                widget=forms.RadioSelect,
                # Nothing to choose (e.g. order updates: on the site, always).
                disabled=len(kind.choices) < 2,
            )
