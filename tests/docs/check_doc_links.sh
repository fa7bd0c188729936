#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Keeps the code's citations pointing at docs/: fails when a source or test
# file cites the external specification (section signs, "spec text",
# "spec vision-audio", spec/gemma4-*.md, a trap number without a docs/ link),
# or cites a docs/ page or heading that does not exist. Links between the
# docs/ pages are checked the same way, and headings must be unique per page
# (their anchors are). Anchors follow GitHub's rule: the heading in lower
# case, characters other than letters, digits, '_', '-' and spaces dropped,
# spaces turned into '-'.
# usage: check_doc_links.sh ROOT
set -u
root=${1:?usage: check_doc_links.sh ROOT}
cd "$root" || exit 2
[ -d docs ] || { echo "FAIL: $root has no docs/ directory"; exit 1; }
fail=0
dirs=
for d in core tests gst-plugin; do
  [ -d "$d" ] && dirs="$dirs $d"
done

# Citations of the external specification. tests/docs holds the patterns.
spec_re='§|spec (text|vision-audio)|spec [0-9]|gemma4-(text|vision-audio)\.md|shared/spec|\bthe spec\b'
hits=$(grep -rnIE --exclude-dir=docs "$spec_re" $dirs 2>/dev/null)
if [ -n "$hits" ]; then
  echo "FAIL: citations of the external spec (point them at docs/ instead):"
  echo "$hits"
  fail=1
fi
# A trap number needs a docs/ link on its line or on a line next to it.
hits=$(grep -rlIE --exclude-dir=docs '\btraps? T[0-9]|/\* T[0-9]+[:( ]' $dirs 2>/dev/null \
  | while read -r f; do
      awk -v f="$f" '
        { line[NR] = $0 }
        END {
          for (i = 1; i <= NR; i++)
            if (line[i] ~ /(^|[^A-Za-z])traps? T[0-9]|\/\* T[0-9]+[:( ]/ \
                && (line[i - 1] line[i] line[i + 1]) !~ /docs\//)
              print f ":" i ": " line[i]
        }' "$f"
    done)
if [ -n "$hits" ]; then
  echo "FAIL: trap numbers without the docs/ page that defines them:"
  echo "$hits"
  fail=1
fi

# The anchors of a page, one per line (duplicates reported).
anchors () {
  awk '
    /^```/ { fence = !fence; next }
    fence || !/^#+ / { next }
    {
      s = tolower ($0)
      sub (/^#+ +/, "", s)
      gsub (/[^a-z0-9 _-]/, "", s)
      gsub (/ /, "-", s)
      print s
    }' "$1"
}

for page in docs/*.md; do
  dup=$(anchors "$page" | sort | uniq -d)
  if [ -n "$dup" ]; then
    echo "FAIL: $page: headings with the same anchor: $dup"
    fail=1
  fi
done

# FILE#anchor (anchor may be empty) must exist; $2 says where it was cited.
check_ref () {
  ref=$1 where=$2
  file=${ref%%#*}
  anchor=
  case $ref in *'#'*) anchor=${ref#*#} ;; esac
  if [ ! -f "$file" ]; then
    echo "FAIL: $where cites $ref: no file $file"
    fail=1
  elif [ -n "$anchor" ] && ! anchors "$file" | grep -qx -- "$anchor"; then
    echo "FAIL: $where cites $ref: no heading with anchor #$anchor in $file"
    fail=1
  fi
}

# docs/FILE.md[#anchor] anywhere in the sources, tests and top-level guides.
refs=$(grep -rnoIE --exclude-dir=docs 'docs/[A-Za-z0-9_.-]+\.md(#[A-Za-z0-9_-]+)?' \
  $dirs HACKING.md README.md 2>/dev/null)
n_code=0
for r in $refs; do
  where=${r%:docs/*}
  check_ref "docs/${r#*:docs/}" "$where"
  n_code=$((n_code + 1))
done

# Markdown links between the docs/ pages: (FILE.md#anchor), (FILE.md), (#anchor).
n_docs=0
for page in docs/*.md; do
  links=$(grep -noE '\]\(([A-Za-z0-9_.-]+\.md)?(#[A-Za-z0-9_-]+)?\)' "$page")
  for l in $links; do
    target=${l#*](}
    target=${target%)}
    case $target in
      '#'*) target="$page$target" ;;
      *) target="docs/$target" ;;
    esac
    check_ref "$target" "$page:${l%%:*}"
    n_docs=$((n_docs + 1))
  done
done

if [ "$fail" -ne 0 ]; then
  exit 1
fi
echo "ok: $n_code citations of docs/ in the code and guides, $n_docs links between the pages"
