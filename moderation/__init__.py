"""Moderation: reports, sanctions, and (to come) the check pipeline and the queue."""
