"""The ``oms-plan`` command line."""
