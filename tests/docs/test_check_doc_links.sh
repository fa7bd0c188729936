#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# check_doc_links.sh against small trees: it must pass a clean one and fail on
# each kind of bad citation, so the docs suite cannot pass by accident.
# usage: test_check_doc_links.sh CHECK_DOC_LINKS_SH
set -u
check=${1:?usage: test_check_doc_links.sh CHECK_DOC_LINKS_SH}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# Runs the checker on $tmp/t; $1 names the case, $2 is pass or fail.
expect () {
  if sh "$check" "$tmp/t" > "$tmp/out" 2>&1; then got=pass; else got=fail; fi
  if [ "$got" != "$2" ]; then
    echo "FAIL: $1: expected $2, got $got"
    cat "$tmp/out"
    failed=1
  else
    echo "ok: $1 ($got)"
  fi
}

# A tree with one page and one C file whose comment is $2.
comment_case () {
  rm -rf "$tmp/t"
  mkdir -p "$tmp/t/docs" "$tmp/t/core"
  printf '# Page\n\n## KV sharing\n\nSee [the page](page.md#kv-sharing) and [other](#page).\n' \
    > "$tmp/t/docs/page.md"
  printf '/* %s */\nint x;\n' "$2" > "$tmp/t/core/x.c"
  expect "$1" "$3"
}

comment_case "clean citation" "layers share K/V (docs/page.md#kv-sharing)" pass
comment_case "whole page" "see docs/page.md" pass
comment_case "trap with its page" "trap T7 (docs/page.md#kv-sharing)" pass
comment_case "section sign" "layers share K/V (spec text §3.7)" fail
comment_case "external spec path" "see ../shared/spec/gemma4-text.md" fail
comment_case "spec section" "as in spec vision-audio 2.3" fail
comment_case "missing anchor" "see docs/page.md#kv-cache" fail
comment_case "missing page" "see docs/nothing.md#kv-sharing" fail
comment_case "trap without page" "trap T7: shared layers" fail

# Pages only: page a links to a heading of page b, whose text is $2.
pages_case () {
  rm -rf "$tmp/t"
  mkdir -p "$tmp/t/docs"
  printf '# A\n\n## One\n\n[b](b.md#two)\n' > "$tmp/t/docs/a.md"
  printf "$2" > "$tmp/t/docs/b.md"
  expect "$1" "$3"
}

pages_case "link between pages" '# B\n\n## Two\n' pass
pages_case "broken link between pages" '# B\n\n## One\n' fail
pages_case "duplicated heading" '# B\n\n## Two\n\n## Two\n' fail
exit $failed
