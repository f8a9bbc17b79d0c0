"""Futian District Federation of Trade Unions (深圳市福田区总工会), Shenzhen.

Seed: futian-union-retiree-project-evaluation-2022 — an evaluation report with
goals vs actuals (表1-2), a 17-leaf scoring system (附表), the published scores
(total 95.0) and a satisfaction survey of 19 questionnaires.
"""
from core.definitions.locations import builtin_pack_dir
from core.definitions.pack import load_pack
from core.hooks import hookimpl


@hookimpl
def register_jurisdictions():
    return [load_pack(builtin_pack_dir("futian"))]
