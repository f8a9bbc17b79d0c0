"""Chongqing Women's Federation (重庆市妇联).

Seed: chongqing-womens-federation-plan-2020 — three-synchronous goals, annual and
medium-term goals, full-cycle evaluation of multi-year projects.
"""
from core.definitions.locations import builtin_pack_dir
from core.definitions.pack import load_pack
from core.hooks import hookimpl


@hookimpl
def register_jurisdictions():
    return [load_pack(builtin_pack_dir("chongqing"))]
