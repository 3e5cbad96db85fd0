"""Public services: the catalogue, the dossier lifecycle, payments, results and the e-document wallet.

Every action is one function named for it (`start_dossier`, `submit_dossier`, `receive_dossier`,
`request_supplement`, `approve_dossier`, `issue_result`, …) that checks who may do it, changes
the dossier, writes its history and the audit log — all in the caller's transaction. Officers'
actions carry the version of the dossier they saw: a stale version is a 409, never a silent
overwrite. Personal data stays in the dossier; log lines and audit details name dossiers by code.

This package is the one door into the module: the routes, the CLI, the demo, other modules and the
tests use the names below, and only those. The files inside are grouped by action: `catalogue`,
`access` (who may see what), `filling`, `attachments` (files and the wallet), `payments`
(submission and payment), `desk`, `officer`, `queries` and `loading` (bulk loads of synthetic
dossiers); what they share privately is in `_common` and `_submission`.
"""

from __future__ import annotations

from hue06.services.service._common import (
    EDITABLE_STATUSES,
    OPEN_STATUSES,
    STATUSES,
    VN_TZ,
    calendar,
    local_now,
    status_label,
)
from hue06.services.service.access import citizen_level, get_dossier, may_act, official_agency
from hue06.services.service.attachments import (
    attach_from_wallet,
    attach_upload,
    blob_data,
    get_dossier_file,
    get_wallet_document,
    remove_file,
    verify_document,
    wallet_documents,
    wallet_upload,
)
from hue06.services.service.catalogue import (
    agencies,
    agency_name,
    appendix_ii,
    catalogue_data,
    ensure_catalogue,
    get_procedure,
    get_procedure_by_id,
    list_procedures,
    procedure_form,
    update_procedure,
)
from hue06.services.service.desk import desk_start, desk_take_cash
from hue06.services.service.filling import active_files, current_fee, problems, save_answers, start_dossier
from hue06.services.service.loading import (
    count_dossiers,
    essential_procedures,
    finish_dossier_load,
    load_dossiers,
    next_dossier_id,
    typical_fee,
)
from hue06.services.service.officer import (
    answer_supplement,
    approve_dossier,
    issue_result,
    receive_dossier,
    refuse_dossier,
    request_supplement,
    return_result,
    run_officer_action,
)
from hue06.services.service.payments import (
    CallbackResult,
    begin_payment,
    get_payment,
    handle_payment_callback,
    payments_of,
    submit_dossier,
)
from hue06.services.service.queries import (
    history,
    inbox,
    is_overdue,
    my_dossiers,
    pauses_of,
    results_of,
    snapshot_content,
    snapshots,
    view_for_officer,
)
from hue06.services.stats import compute as compute_stats

__all__ = [
    "EDITABLE_STATUSES",
    "OPEN_STATUSES",
    "STATUSES",
    "VN_TZ",
    "CallbackResult",
    "active_files",
    "agencies",
    "agency_name",
    "answer_supplement",
    "appendix_ii",
    "approve_dossier",
    "attach_from_wallet",
    "attach_upload",
    "begin_payment",
    "blob_data",
    "calendar",
    "catalogue_data",
    "citizen_level",
    "compute_stats",
    "count_dossiers",
    "current_fee",
    "desk_start",
    "desk_take_cash",
    "ensure_catalogue",
    "essential_procedures",
    "finish_dossier_load",
    "get_dossier",
    "get_dossier_file",
    "get_payment",
    "get_procedure",
    "get_procedure_by_id",
    "get_wallet_document",
    "handle_payment_callback",
    "history",
    "inbox",
    "is_overdue",
    "issue_result",
    "list_procedures",
    "load_dossiers",
    "local_now",
    "may_act",
    "my_dossiers",
    "next_dossier_id",
    "official_agency",
    "pauses_of",
    "payments_of",
    "problems",
    "procedure_form",
    "receive_dossier",
    "refuse_dossier",
    "remove_file",
    "request_supplement",
    "results_of",
    "return_result",
    "run_officer_action",
    "save_answers",
    "snapshot_content",
    "snapshots",
    "start_dossier",
    "status_label",
    "submit_dossier",
    "typical_fee",
    "update_procedure",
    "verify_document",
    "view_for_officer",
    "wallet_documents",
    "wallet_upload",
]
