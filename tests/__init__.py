"""Tests of the Future Fish integration."""
