"""Changzhi City Finance Bureau (长治市财政局), Shanxi.

Seed: changzhi-finance-rules-2020 — ex-ante assessment, four-synchronous goal
management, monitoring, a 100-point evaluation with grade bands 90/80/60 (§27),
feedback and rectification, disclosure.
"""
from core.definitions.locations import builtin_pack_dir
from core.definitions.pack import load_pack
from core.hooks import hookimpl


@hookimpl
def register_jurisdictions():
    return [load_pack(builtin_pack_dir("changzhi"))]
