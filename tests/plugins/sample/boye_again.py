"""A plugin registering Boye's pack a second time: the code ``boye`` is already taken."""
from core.definitions.locations import builtin_pack_dir
from core.definitions.pack import load_pack
from core.hooks import hookimpl


@hookimpl
def register_jurisdictions():
    return [load_pack(builtin_pack_dir("boye"))]
