"""The alert ledger, deadline sweeps, the DPO digest and email sending."""
