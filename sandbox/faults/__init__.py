"""Faults: each breaks one success criterion the way it breaks in life, and says what the suite must then report.

- ``fault.py``: what a fault is (``Fault``, its ``Expect``ation) and the steps faults are made of.
- ``phase1.py`` ... ``phase8.py``: the faults of each phase's criteria (``PN-*``), beside ``suites/phaseN/``.
- ``registry.py``: all of them by name; applying, recording and healing them (``python -m sandbox fault|heal``).
"""
