"""Đề án 06 steering: tasks, pilot models, service statistics and the periodic report.

The province's six-month report is both the first data source (imported from its text) and the
output (generated from the data as DOCX and PDF). Figures are computed from the rows and checked
against what the report states; disagreements are listed, never silently corrected.
"""
