"""Where the built-in jurisdiction packs live in the source tree."""
from pathlib import Path

FORM_DEFINITIONS_DIR = Path(__file__).resolve().parents[2] / "form_definitions"


def builtin_pack_dir(code: str) -> Path:
    """``form_definitions/<code>/`` — the folder a built-in plugin loads its pack from."""
    return FORM_DEFINITIONS_DIR / code
