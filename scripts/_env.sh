# Shared by scripts/demo and scripts/test: a virtualenv with the project installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
target="."
[ -n "${EXTRAS:-}" ] && target=".[${EXTRAS}]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e "$target"
# Compiled translations are build output, not committed.
.venv/bin/pybabel compile -d translations -f >/dev/null 2>&1 || .venv/bin/pybabel compile -d translations -f
