from donors.admin import batches, gifts, people  # noqa: F401  (registers the admin classes)
