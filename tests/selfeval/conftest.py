"""Every self-evaluation test is scanned for internal ids in its scoring messages
(tests/scoring/id_scan.py)."""
from tests.scoring.id_scan import scan_scoring_messages  # noqa: F401
