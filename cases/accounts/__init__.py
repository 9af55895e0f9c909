"""Accounts and sign-in hardening: second factor (django-otp), lockout (django-axes),
idle sessions, ending every session and API token of a user, invitations.

Modules: ``mfa`` (who needs a second factor, enrolment, recovery codes, reset),
``sessions`` (``end_all_sessions``), ``middleware`` (enforcement and idle timeout),
``invitations`` (single-use expiring links), ``views``/``urls`` (the pages).
"""
