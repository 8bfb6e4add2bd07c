"""Helpers the tests share: real parts to run (``running``), kernels to drive
(``kernels``), fakes for unit tests (``fakes``) and ``wait_for``.

``tests/`` is on ``sys.path`` (pyproject's ``pythonpath``), so tests import
``from support.running import RunningSidecar``; fixtures stay in conftest.py.
"""
