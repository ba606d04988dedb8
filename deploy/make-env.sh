#!/usr/bin/env bash
# Write a .env for docker-compose.yml with a random value for every change-me of deploy/env.example.
#   deploy/make-env.sh [PATH]      (default: .env at the repository root; an existing file is kept)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:-$here/../.env}"
if [[ -e "$target" ]]; then
  echo "make-env: $target exists; not overwriting it (delete it first to start over)" >&2
  exit 1
fi
random() {  # $1 characters from [A-Za-z0-9]: safe unquoted in .env, YAML, JSON and URLs
  local out=""
  while (( ${#out} < $1 )); do
    out+="$(head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  done
  printf '%s' "${out:0:$1}"
}
umask 077
tmp="$(mktemp "$(dirname "$target")/.env.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line; do
  if [[ "$line" =~ ^([A-Z0-9_]+)=change-me ]]; then
    name="${BASH_REMATCH[1]}"
    if [[ "$name" == *_KEY ]]; then len=48; else len=32; fi
    printf '%s=%s\n' "$name" "$(random "$len")"
  else
    printf '%s\n' "$line"
  fi
done < "$here/env.example" > "$tmp"
mv "$tmp" "$target"
trap - EXIT
echo "make-env: wrote $target"
