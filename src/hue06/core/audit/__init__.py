"""The append-only audit log: many hash chains, no global lock, signed checkpoints.

Every read or change of a person's record, every login and every token goes here. An entry
belongs to one **chain** and links to the chain's previous entry by hash, so editing, inserting
or deleting a row breaks the chain from that row on. A transaction appends to whichever chain
head no other transaction holds (PostgreSQL `FOR UPDATE SKIP LOCKED`; a new chain is opened when
all are busy), so audited requests never wait for each other, and the entry commits with the
request's own changes: **the durability point is the request's commit**, which the unit of work
makes before the response starts (docs/decisions/0015).

Every few seconds a **checkpoint** signs the Merkle root of every chain's head with the platform's
Ed25519 key, which lives outside the database (`data_dir/keys/audit-ed25519.pem`). Checkpoints
link to each other by hash. Someone with write access to the database can rewrite rows and
recompute hashes, but cannot sign: `verify` checks every chain, every checkpoint against the key,
and any exported checkpoint (`hue06 audit checkpoint --out`, the periodic report) against the
database, so a cut-back tail, a recomputed chain, a removed chain or an emptied log is named.
Entries written after the newest checkpoint are covered once the next one is signed.

Entries never hold passwords, tokens or secrets; subjects are named by their key only.
Chain 0 holds the entries written before chains existed, hashed in their original form.
"""

from __future__ import annotations

from hue06.core.audit.chain import entry_hash, record
from hue06.core.audit.checkpoints import Checkpoint, CheckpointKey, checkpoint, latest_checkpoint, merkle_root
from hue06.core.audit.models import GENESIS, LEGACY_CHAIN, AuditCheckpoint, AuditEntry, AuditHead
from hue06.core.audit.reading import entries_for, heads, iter_chain, iter_entries
from hue06.core.audit.verify import Break, Report, VerifiedState, verify, verify_log

__all__ = [
    "GENESIS",
    "LEGACY_CHAIN",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "Break",
    "Checkpoint",
    "CheckpointKey",
    "Report",
    "VerifiedState",
    "checkpoint",
    "entries_for",
    "entry_hash",
    "heads",
    "iter_chain",
    "iter_entries",
    "latest_checkpoint",
    "merkle_root",
    "record",
    "verify",
    "verify_log",
]
