from django.apps import AppConfig


class CravingConfig(AppConfig):
    name = "craving"
