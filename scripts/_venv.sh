# Sourced by scripts/start and scripts/test: make .venv and install the pinned requirements
# when they changed since the last install (a stamp keeps their checksum).
set -euo pipefail
PYTHON="${PYTHON:-python3}"
req_file="$1"
if [ ! -x .venv/bin/python ]; then
  echo "Création de l'environnement Python (.venv)…"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(basename "$req_file")"
want="$(cat requirements.txt "$req_file" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installation des paquets Python ($req_file)…"
  .venv/bin/python -m pip install --disable-pip-version-check -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install --disable-pip-version-check -q -r "$req_file"
  echo "$want" > "$stamp"
fi
