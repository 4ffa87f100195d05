#!/usr/bin/env bash
# Checks the project's Markdown links: every relative link [text](path) or [text](path#anchor) in
# README.md, docs/*.md, data/README.md, udf/benchmarks/*.md and job/benchmarks/*.md must name an
# existing file (relative to the linking file's folder), and an #anchor (also #anchor alone, within
# the same file) must be the GitHub-style slug of a heading there: lower case, spaces to '-',
# punctuation other than '-' and '_' dropped, '-1', '-2', ... after repeated headings.
# http(s):// and mailto: links, and anything inside fenced code blocks or inline code, are skipped.
#   scripts/check-links.sh     prints "FILE: broken link TARGET" for each broken link and exits 1,
#                              or "links: N checked, all resolve"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

files=()
for f in README.md docs/*.md data/README.md udf/benchmarks/*.md job/benchmarks/*.md; do
  [[ -f $f ]] && files+=("$f")
done

# Prints the target of every link in the Markdown file $1, one a line: fenced code blocks and
# inline code spans left out, a link's title ([text](path "title")) dropped.
link_targets() {
  awk '
    function fence_of(line) {
      sub(/^[ \t]*/, "", line)
      return substr(line, 1, 3)
    }
    {
      if (fence != "") {
        if ($0 ~ /^[ \t]*(```|~~~)/ && fence_of($0) == fence) fence = ""
        next
      }
      if ($0 ~ /^[ \t]*(```|~~~)/) { fence = fence_of($0); next }
      line = $0
      gsub(/``[^`]*``/, "", line)
      gsub(/`[^`]*`/, "", line)
      while (match(line, /\[[^]]*\]\([^)]*\)/)) {
        link = substr(line, RSTART, RLENGTH)
        line = substr(line, RSTART + RLENGTH)
        target = substr(link, index(link, "](") + 2)
        target = substr(target, 1, length(target) - 1)
        sub(/^[ \t]+/, "", target)
        sub(/[ \t].*$/, "", target)
        if (target != "") print target
      }
    }' "$1"
}

# Prints the GitHub-style anchor of every heading in the Markdown file $1, one a line.
heading_anchors() {
  awk '
    function fence_of(line) {
      sub(/^[ \t]*/, "", line)
      return substr(line, 1, 3)
    }
    {
      if (fence != "") {
        if ($0 ~ /^[ \t]*(```|~~~)/ && fence_of($0) == fence) fence = ""
        next
      }
      if ($0 ~ /^[ \t]*(```|~~~)/) { fence = fence_of($0); next }
      if ($0 !~ /^ ? ? ?#+([ \t]|$)/) next
      text = $0
      sub(/^ *#+[ \t]*/, "", text)
      sub(/[ \t]+#+[ \t]*$/, "", text)
      sub(/[ \t]+$/, "", text)
      # a link in a heading counts by its text
      while (match(text, /\[[^]]*\]\([^)]*\)/)) {
        link = substr(text, RSTART, RLENGTH)
        label = substr(link, 2, index(link, "](") - 2)
        text = substr(text, 1, RSTART - 1) label substr(text, RSTART + RLENGTH)
      }
      slug = tolower(text)
      gsub(/[^a-z0-9 _-]/, "", slug)
      gsub(/ /, "-", slug)
      if (slug in seen) { seen[slug]++; print slug "-" seen[slug] } else { seen[slug] = 0; print slug }
    }' "$1"
}

declare -A anchors=()
checked=0
broken=0
for file in "${files[@]}"; do
  dir=$(dirname "$file")
  while IFS= read -r target; do
    case $target in
      http://* | https://* | mailto:*) continue ;;
    esac
    checked=$((checked + 1))
    path=${target%%#*}
    anchor=""
    [[ $target == *#* ]] && anchor=${target#*#}
    if [[ -z $path ]]; then
      dest=$file
    else
      dest=$dir/$path
    fi
    if [[ ! -e $dest ]]; then
      echo "$file: broken link $target"
      broken=$((broken + 1))
      continue
    fi
    [[ -n $anchor ]] || continue
    if [[ ! -f $dest ]]; then
      echo "$file: broken link $target"
      broken=$((broken + 1))
      continue
    fi
    if [[ -z ${anchors[$dest]+set} ]]; then
      anchors[$dest]=$'\n'$(heading_anchors "$dest")$'\n'
    fi
    if [[ ${anchors[$dest]} != *$'\n'"$anchor"$'\n'* ]]; then
      echo "$file: broken link $target"
      broken=$((broken + 1))
    fi
  done < <(link_targets "$file")
done

if ((broken > 0)); then
  echo "links: $checked checked, $broken broken" >&2
  exit 1
fi
echo "links: $checked checked, all resolve"
