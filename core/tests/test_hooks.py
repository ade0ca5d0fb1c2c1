from __future__ import annotations

from collections import defaultdict

import pytest

from core import hooks

HOOK = "test_hook"


@pytest.fixture(autouse=True)
def _empty_registry(monkeypatch) -> None:
    monkeypatch.setattr(hooks, "_registry", defaultdict(list))


def test_hook_names_are_constants_so_a_typo_is_an_attribute_error():
    # then
    assert hooks.HEADER_ITEMS == "header_items"
    with pytest.raises(AttributeError):
        hooks.HEADER_ITEM  # noqa: B018


def test_no_hook_registered_answers_the_default():
    # when
    answer = hooks.call_first(HOOK, "anything", default=0)

    # then
    assert answer == 0
    assert hooks.get_hooks(HOOK) == []


def test_registered_hooks_come_back_in_order_then_registration_order():
    # given
    def late(x):
        return f"late {x}"

    def first(x):
        return f"first {x}"

    def second(x):
        return f"second {x}"

    hooks.register(HOOK, late, order=10)
    hooks.register(HOOK, first)
    hooks.register(HOOK, second)

    # when
    found = hooks.get_hooks(HOOK)

    # then
    assert found == [first, second, late]
    assert hooks.call_first(HOOK, 1, default=None) == "first 1"


def test_register_works_as_a_decorator_and_keyword_arguments_reach_the_hook():
    # given
    @hooks.register(HOOK, order=-1)
    def answer(*, user):
        return f"points for {user}"

    # when
    result = hooks.call_first(HOOK, user="ana")

    # then
    assert answer.__name__ == "answer"
    assert result == "points for ana"


def test_registering_the_same_function_twice_keeps_one_entry():
    # given
    def hook():
        return 1

    # when
    hooks.register(HOOK, hook)
    hooks.register(HOOK, hook, order=5)

    # then
    assert hooks.get_hooks(HOOK) == [hook]


def test_registered_context_manager_removes_the_hook_afterwards_even_on_error():
    # given
    def permanent():
        return "permanent"

    def temporary():
        return "temporary"

    hooks.register(HOOK, permanent, order=1)

    # when
    with pytest.raises(RuntimeError), hooks.registered(HOOK, temporary):
        assert hooks.call_first(HOOK) == "temporary"
        raise RuntimeError("the test body failed")

    # then
    assert hooks.get_hooks(HOOK) == [permanent]
    assert hooks.call_first(HOOK) == "permanent"


def test_hooks_of_one_name_do_not_leak_into_another():
    # given
    hooks.register(HOOK, lambda: "mine")

    # then
    assert hooks.get_hooks("other_hook") == []
    assert hooks.call_first("other_hook", default="none") == "none"
