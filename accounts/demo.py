"""The demo staff accounts' shared secrets (demo data only: `make demo` prints them)."""

DEMO_PASSWORD = "demo-password-2026"
# Staff must pass a second factor; the demo accounts share this TOTP secret, which the demo
# prints, so that anyone trying it can add it to an authenticator app (or ask
# `manage.py demo_code`).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
