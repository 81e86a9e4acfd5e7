"""The official Kemendagri region table (data only; see ektp.regions)."""
