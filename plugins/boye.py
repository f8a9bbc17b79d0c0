"""Boye County Federation of Trade Unions (博野县总工会), Hebei.

Seed: boye-county-union-goal-tables-2023 — four filled-in project goal tables in
万元 with 21-character project codes, sources 财政资金 + 其他资金, milestones
3/6/10/12月底, and cost and ecological-benefit indicator categories.
"""
from core.definitions.locations import builtin_pack_dir
from core.definitions.pack import load_pack
from core.hooks import hookimpl


@hookimpl
def register_jurisdictions():
    return [load_pack(builtin_pack_dir("boye"))]
