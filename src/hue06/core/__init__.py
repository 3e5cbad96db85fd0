"""Shared foundations: configuration, database, audit log, admin units, ID rules, calendar, errors.

`core` imports nothing from the feature modules, so every module can depend on it.
"""
