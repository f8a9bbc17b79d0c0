#!/usr/bin/env bash
# Rebuild the committed CJK font subsets used by the PDF reports (core/reports/pdf.py).
#
#   . .venv/bin/activate && pip install fonttools   # pyftsubset; not a runtime dependency
#   core/reports/fonts/make_subset.sh               # writes NotoSansSC-{Regular,Bold}.ttf here
#
# Source: the npm package @expo-google-fonts/noto-sans-sc (OFL-1.1 font files, MIT
# wrapper code), which ships Noto Sans SC as static TrueType (glyf) fonts — the only
# kind reportlab/xhtml2pdf can embed (Debian's fonts-noto-cjk are CFF: refused).
#
# Character set (see README.md): GB2312 + ASCII + Latin-1 + the punctuation and symbols
# the forms use + rare_name_chars.txt (GBK name characters such as 镕 堃) + every
# character that occurs in our own data: form_definitions/, demo/, templates/, the
# Python sources (messages that may be printed), and the seeds in ../shared/seeds
# (override with SEEDS_DIR=...).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
SEEDS_DIR="${SEEDS_DIR:-$ROOT/../shared/seeds}"
PACKAGE="@expo-google-fonts/noto-sans-sc@0.4.3"

command -v pyftsubset >/dev/null || { echo "pyftsubset not found: pip install fonttools" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "$PACKAGE" >/dev/null && tar xzf ./*.tgz)
SRC="$WORK/package"

python3 - "$ROOT" "$SEEDS_DIR" "$HERE/rare_name_chars.txt" "$SRC/400Regular/NotoSansSC_400Regular.ttf" \
    "$WORK/chars.txt" <<'PY'
import sys
from pathlib import Path

from fontTools.ttLib import TTFont

root, seeds, rare_file, font_file, out = map(Path, sys.argv[1:])
chars = set()

# GB2312 (6763 hanzi + 682 symbols), via the codec: every valid two-byte code.
for b1 in range(0xA1, 0xF8):
    for b2 in range(0xA1, 0xFF):
        try:
            chars.add(bytes([b1, b2]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
# ASCII, Latin-1, general punctuation, circled numbers, CJK symbols, full-width forms.
for lo, hi in ((0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203B),
               (0x2460, 0x2473), (0x3000, 0x303F), (0xFF01, 0xFF5E), (0xFE50, 0xFE6B)):
    chars.update(chr(c) for c in range(lo, hi + 1))
chars.update("≥≤≦≧≠≈±×÷％＞＜～（）【】「」『』〔〕、。：；，·—–…‰℃№√∶○●□■△▲◆◇★☆→←↑↓▶◀①〇㎡")

# Rare name characters: only those GBK has and GB2312 lacks.
for line in rare_file.read_text(encoding="utf-8").splitlines():
    if line.startswith("#"):
        continue
    for c in line:
        if not c.isspace():
            try:
                c.encode("gbk")
            except UnicodeEncodeError:
                continue
            chars.add(c)

# Everything in our own data, so nothing we ship prints as a missing glyph.
sources = [root / "form_definitions", root / "demo", root / "templates", root / "core",
           root / "plugins", root / "survey"]
patterns = ("*.json", "*.html", "*.py", "*.txt")
files = [p for d in sources if d.is_dir() for pat in patterns for p in d.rglob(pat)]
if seeds.is_dir():
    files += sorted(seeds.glob("*.txt"))
else:
    print(f"warning: no seeds at {seeds}", file=sys.stderr)
for path in files:
    chars.update(c for c in path.read_text(encoding="utf-8", errors="ignore") if c.isprintable())

cmap = TTFont(font_file).getBestCmap()
covered = sorted(c for c in chars if ord(c) in cmap)
missing = sorted(c for c in chars if ord(c) not in cmap and not c.isspace())
out.write_text("".join(covered), encoding="utf-8")
print(f"{len(covered)} characters; not in the font (left out): {''.join(missing)}", file=sys.stderr)
PY

for weight in "400Regular:Regular" "700Bold:Bold"; do
  src="${weight%%:*}"; name="${weight##*:}"
  pyftsubset "$SRC/$src/NotoSansSC_$src.ttf" \
    --text-file="$WORK/chars.txt" \
    --output-file="$HERE/NotoSansSC-$name.ttf" \
    --layout-features='' --no-hinting --notdef-outline \
    --drop-tables+=BASE,STAT,vhea,vmtx,GSUB,GPOS,GDEF \
    --name-IDs='*' --name-legacy --name-languages='*'
  ls -l "$HERE/NotoSansSC-$name.ttf"
done
cp "$SRC/LICENSE_FONT" "$HERE/OFL.txt"
