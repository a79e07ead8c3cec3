"""Fixtures of the gdpr tests."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def dpo():
    """The actor the services record (a user without a role: services check no permission, the admin and
    the API do)."""
    return UserFactory(username="dpo")
