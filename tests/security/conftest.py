"""The fixtures the security tests borrow: the register's hand-made records, citizens and dossiers."""

from tests.identity.factories import make_citizen, make_resident
from tests.services.conftest import catalogue, gateway, new_citizen

__all__ = ["catalogue", "gateway", "make_citizen", "make_resident", "new_citizen"]
