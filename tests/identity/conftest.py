"""The identity factories as fixtures for every test in this folder (e2e tests import them too)."""

from tests.identity.factories import make_app, make_citizen, make_resident, web  # noqa: F401
