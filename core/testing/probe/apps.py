from django.apps import AppConfig


class ProbeConfig(AppConfig):
    name = "core.testing.probe"
    label = "probe"
