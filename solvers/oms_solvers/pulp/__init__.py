"""PuLP (CBC) back-ends: an independent formulation to cross-check optimal objectives."""
