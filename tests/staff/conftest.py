import pytest

from tests.staff.world import build_world


@pytest.fixture
def world(db, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        build_world(settings, django_capture_on_commit_callbacks)
