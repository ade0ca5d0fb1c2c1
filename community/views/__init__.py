"""Community pages. Each kind of content adds its own module here, with
its `urlpatterns`, which community/urls.py includes."""
