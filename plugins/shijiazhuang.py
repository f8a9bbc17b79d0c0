"""Shijiazhuang City Federation of Trade Unions (石家庄市总工会), Hebei.

Seed: shijiazhuang-union-rules-2021 — the implementing rules with 附件一 (goal
form, 元, sources 财政资金 + 工会经费, milestones 6/9/11月底; §15: projects complete
by end of November), 附件二 (self-evaluation) and 附件三 (work-scoring sheet for
county unions).
"""
from core.definitions.locations import builtin_pack_dir
from core.definitions.pack import load_pack
from core.hooks import hookimpl


@hookimpl
def register_jurisdictions():
    return [load_pack(builtin_pack_dir("shijiazhuang"))]
