"""Synthetic, realistic data with ground truth: a province, sector files, dossiers."""
