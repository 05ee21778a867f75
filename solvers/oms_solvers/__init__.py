"""Interchangeable solver back-ends for oms_plan (CP-SAT, min-cost flow/LP, PuLP, greedy).

Back-ends import ``oms_plan``'s problem and result types; ``oms_plan`` finds them by name
through :mod:`oms_plan.backends` and never imports them at import time.
"""
