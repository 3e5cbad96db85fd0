"""The population register's logic: reads with jurisdiction and audit, search, and the four
changes that keep the register alive (birth, death, move, correction).

Every function that shows a person to an official or a citizen checks jurisdiction here, not in
the route, and writes the audit entry in the caller's transaction. Changes are one atomic
function each: everything is validated before the first write, then the row, its history
(`ResidentChange`) and the audit entry are written together.

One file per group of actions; this package's `__all__` is what the rest of hue06 may use.
"""

from __future__ import annotations

from hue06.registry.service._common import MAX_OFFSET, MAX_PAGE, MAX_QUERY_LENGTH
from hue06.registry.service.changes import correct_resident, record_death, register_birth
from hue06.registry.service.households import commune_addresses, history_of, household_view
from hue06.registry.service.moves import record_move
from hue06.registry.service.pages import communes_for, resident_dossier
from hue06.registry.service.reads import (
    get_resident,
    get_resident_by_id,
    iter_register,
    lookup_many,
    lookup_many_by_old_id,
    match_identity,
    register_counts,
)
from hue06.registry.service.search import search_residents

__all__ = [
    "MAX_OFFSET",
    "MAX_PAGE",
    "MAX_QUERY_LENGTH",
    "commune_addresses",
    "communes_for",
    "correct_resident",
    "get_resident",
    "get_resident_by_id",
    "history_of",
    "household_view",
    "iter_register",
    "lookup_many",
    "lookup_many_by_old_id",
    "match_identity",
    "record_death",
    "record_move",
    "register_birth",
    "register_counts",
    "resident_dossier",
    "search_residents",
]
