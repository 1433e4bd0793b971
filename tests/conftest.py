"""Shared settings: hypothesis without deadlines (these machines are shared and noisy)."""

from hypothesis import settings

settings.register_profile("project", deadline=None, max_examples=40)
settings.load_profile("project")
