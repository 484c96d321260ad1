import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def instructor(db):
    return UserFactory(is_instructor=True)


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client
