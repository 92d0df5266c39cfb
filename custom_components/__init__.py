"""Custom integrations of this repository (a regular package so Home Assistant finds it in tests)."""
