"""Accounts and login: officials, citizens' e-ID accounts, and the OpenID Connect provider."""
