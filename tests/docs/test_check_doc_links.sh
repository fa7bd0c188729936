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

# A tree with one page and one C file whose comment is $1; $2: expect pass|fail.
case_ () {
  name=$1 comment=$2 want=$3
  rm -rf "$tmp/t"
  mkdir -p "$tmp/t/docs" "$tmp/t/core"
  printf '# Page\n\n## KV sharing\n\nSee [the page](page.md#kv-sharing) and [other](#page).\n' \
    > "$tmp/t/docs/page.md"
  printf '/* %s */\nint x;\n' "$comment" > "$tmp/t/core/x.c"
  if sh "$check" "$tmp/t" > "$tmp/out" 2>&1; then got=pass; else got=fail; fi
  if [ "$got" != "$want" ]; then
    echo "FAIL: $name: expected $want, got $got"
    cat "$tmp/out"
    failed=1
  else
    echo "ok: $name ($got)"
  fi
}

case_ "clean citation" "layers share K/V (docs/page.md#kv-sharing)" pass
case_ "whole page" "see docs/page.md" pass
case_ "trap with its page" "trap T7 (docs/page.md#kv-sharing)" pass
case_ "section sign" "layers share K/V (spec text §3.7)" fail
case_ "external spec path" "see ../shared/spec/gemma4-text.md" fail
case_ "spec section" "as in spec vision-audio 2.3" fail
case_ "missing anchor" "see docs/page.md#kv-cache" fail
case_ "missing page" "see docs/nothing.md#kv-sharing" fail
case_ "trap without page" "trap T7: shared layers" fail

# A broken link between pages and a duplicated heading fail too.
rm -rf "$tmp/t"
mkdir -p "$tmp/t/docs"
printf '# A\n\n## One\n\n[b](b.md#two)\n' > "$tmp/t/docs/a.md"
printf '# B\n\n## One\n' > "$tmp/t/docs/b.md"
if sh "$check" "$tmp/t" > "$tmp/out" 2>&1; then
  echo "FAIL: a link to a missing heading of another page passed"
  failed=1
else
  echo "ok: broken link between pages (fail)"
fi
printf '# B\n\n## Two\n\n## Two\n' > "$tmp/t/docs/b.md"
if sh "$check" "$tmp/t" > "$tmp/out" 2>&1; then
  echo "FAIL: a page with two headings of the same anchor passed"
  failed=1
else
  echo "ok: duplicated heading (fail)"
fi
exit $failed
