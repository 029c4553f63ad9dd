"""Alongside moderation package."""
