"""Timing and accuracy scripts, run by hand (never part of the tests): see each script's docstring."""
