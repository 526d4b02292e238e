# Sourced by the model checks: collect_feeds DIR sets `feeds` to NAME=FILE for every DIR/NAME.npy
# (the exporter writes one file per graph input) and fails when there is none.
collect_feeds() {
  local dir=$1 file
  shopt -s nullglob
  local files=("$dir"/*.npy)
  shopt -u nullglob
  if [ ${#files[@]} -eq 0 ]; then
    echo "$(basename "$0"): $dir holds no .npy inputs" >&2
    exit 1
  fi
  feeds=()
  for file in "${files[@]}"; do feeds+=("$(basename "$file" .npy)=$file"); done
}
