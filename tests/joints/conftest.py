"""The API fixtures (Boye people, one token each) for tests that cross the API and the pages."""
from tests.api.conftest import boye, tokens  # noqa: F401
