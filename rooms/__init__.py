"""Themed rooms, their settings and schedules, and persistence (the lowest layer)."""
