"""Community reads. Each kind of content adds its own module here."""
