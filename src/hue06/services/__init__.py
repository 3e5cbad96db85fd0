"""Public services: catalogue, dossiers, e-forms, deadlines, payments, signed results."""
