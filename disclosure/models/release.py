"""Coordinated patch releases: release plans, pre-notification, deployment tracking."""

from __future__ import annotations
