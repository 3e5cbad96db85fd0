"""Verify and clean sector datasets against the population register (“đúng, đủ, sạch, sống”)."""
