"""Headless commands: the domain core's answers printed for terminals and scripts."""
