"""Rights requests, CNIL cases, breaches and the Art. 30 register, on the legal deadline calendar."""
