#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# gemma4-cli describe and embed --image end to end with the tiny random model
# (made here by make_tiny_model; its text is meaningless, hence short -n) and
# the vision encoder of the mmproj fixture: text and JSON answers, detection
# under the constraint (labels from the set, boxes in range, pixel boxes from
# the 0-1000 ones), --draw output decoded back, PNG and PPM inputs giving the
# same embeddings, and clean failures on bad input.
# usage: test_describe.sh GEMMA4_CLI MAKE_TINY_MODEL DATA_DIR PYTHON3
set -u
CLI=$1
D=$3
PY=$4
CMD=describe
. "$(dirname "$0")/lib.sh"
tiny_model "$2"
IMG=$D/mm/img_160x120.png
ffmpeg=$("$CLI" describe --help | grep -q 'FFmpeg decodes' && echo yes || echo no)
echo "built with FFmpeg: $ffmpeg"

# embed --image: the PNG and the PPM of the same picture give the same rows
for s in 160x120 50x300; do
  if [ "$ffmpeg" = yes ]; then
    "$CLI" embed --mmproj "$MM" --image "$D/mm/img_$s.png" -o "$tmp/png.f32" 2>/dev/null
    "$CLI" embed --mmproj "$MM" --image "$D/vision/img_$s.ppm" -o "$tmp/ppm.f32" 2>/dev/null
    check "embed: img_$s.png equals img_$s.ppm ($(wc -c < "$tmp/png.f32" | tr -d ' ') bytes)" "same" \
      "$(cmp -s "$tmp/png.f32" "$tmp/ppm.f32" && echo same || echo different)"
  fi
done

if [ "$ffmpeg" = no ]; then
  IMG=$D/vision/img_160x120.ppm
fi

# describe: the answer streams to stdout (sampled: the random model's greedy
# answer may be an end-of-turn token at once)
"$CLI" describe "$IMG" -m "$M" --mmproj "$MM" -n 8 -t 2 --temp 1 --seed 1 > "$tmp/d.txt" 2> "$tmp/d.err"
check "describe: exit status" "0" "$?"
check "describe: prints text" "yes" "$(grep -q '[^[:space:]]' "$tmp/d.txt" && echo yes || echo no)"
echo "describe answer: $(head -c 80 "$tmp/d.txt" | tr '\n' ' ')"
"$CLI" describe "$IMG" -m "$M" --mmproj "$MM" -n 8 -t 2 --temp 1 --seed 1 > "$tmp/d2.txt" 2>/dev/null
check "describe: seeded answers repeat" "same" "$(cmp -s "$tmp/d.txt" "$tmp/d2.txt" && echo same || echo different)"

# an answer cut by the end of the context is still an answer
"$CLI" describe "$IMG" -m "$M" --mmproj "$MM" -n 400 -c 320 -t 2 > "$tmp/cut.txt" 2> "$tmp/cut.err"
check "describe -c 320: exit status, text, a warning" "0 yes yes" \
  "$? $(grep -q '[^[:space:]]' "$tmp/cut.txt" && echo yes || echo no) $(grep -q 'answer is cut' "$tmp/cut.err" && echo yes || echo no)"

# JSON: parsed by python; detection labels from the set, boxes in 0-1000 with
# min <= max, pixel boxes = box_2d scaled to the 160x120 image (+-1 px)
json_check () {  # json_check FILE TASK LABELS("" = no objects key)
  "$PY" - "$1" "$2" "$3" <<'EOF'
import json, sys
path, task, labels = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    doc = json.loads(open(path).read())
except ValueError as e:
    print("invalid JSON: %s" % e); sys.exit()
if doc.get("task") != task or not isinstance(doc.get("text"), str):
    print("task/text wrong: %r" % doc); sys.exit()
if not labels:
    print("ok" if "objects" not in doc else "unexpected objects"); sys.exit()
allowed = labels.split(",")
for o in doc["objects"]:
    y0, x0, y1, x1 = o["box_2d"]
    px = o["box"]
    want = [x0 * 160 / 1000, y0 * 120 / 1000, x1 * 160 / 1000, y1 * 120 / 1000]
    if o["label"] not in allowed:
        print("label %r not in %s" % (o["label"], allowed)); sys.exit()
    if not (0 <= y0 <= y1 <= 1000 and 0 <= x0 <= x1 <= 1000):
        print("box_2d out of range: %r" % o["box_2d"]); sys.exit()
    if any(abs(a - b) > 1 for a, b in zip(px, want)):
        print("pixel box %r, expected %r" % (px, want)); sys.exit()
print("ok")
EOF
}
"$CLI" describe "$IMG" -m "$M" --mmproj "$MM" -n 8 -t 2 --json --task ocr > "$tmp/ocr.json" 2>/dev/null
check "ocr --json: exit status" "0" "$?"
check "ocr --json: valid JSON {task, text}" "ok" "$(json_check "$tmp/ocr.json" ocr "")"

# --draw output decoded back by python (PNG: chunk CRCs, zlib, row filters;
# or PPM): "WxH CHANGED", the pixels that differ from the input's
draw_check () {  # draw_check FILE
  "$PY" - "$1" "$D/vision/img_160x120.ppm" <<'EOF'
import struct, sys, zlib
def ppm(path):
    data = open(path, "rb").read()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P6" and parts[3] == b"255"
    return int(parts[1]), int(parts[2]), parts[4]
def png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0], "bad CRC"
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype == 2, "not 8-bit RGB"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, out, stride = zlib.decompress(idat), bytearray(), 3 * w
    prev = bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b, c = prev[i], prev[i - 3] if i >= 3 else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = [0, a, b, (a + b) // 2, a if pa <= pb and pa <= pc else b if pb <= pc else c][f]
            line[i] = (line[i] + pred) & 255
        out += line
        prev = line
    return w, h, bytes(out)
path, orig = sys.argv[1], sys.argv[2]
w, h, px = png(path) if path.endswith(".png") else ppm(path)
ow, oh, opx = ppm(orig)
changed = sum(1 for i in range(0, len(px), 3) if px[i:i + 3] != opx[i:i + 3])
print("%dx%d %d" % (w, h, changed))
EOF
}
n_objects () { "$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["objects"]))' "$1" 2>/dev/null; }
# the constrained answer itself is a JSON list
text_is_list () {
  "$PY" -c 'import json,sys; print(type(json.loads(json.load(open(sys.argv[1]))["text"])).__name__)' "$1" 2>/dev/null
}

# detect, greedy: the tiny model may well answer an empty list; --draw
# writes JPEG (read back by embed --image) with FFmpeg
if [ "$ffmpeg" = yes ]; then ext=jpg; else ext=ppm; fi
"$CLI" describe "$IMG" -m "$M" --mmproj "$MM" -t 2 --task detect --labels person,car --json \
  --max-objects 3 --draw "$tmp/greedy.$ext" > "$tmp/det.json" 2> "$tmp/det.err"
check "detect: exit status" "0" "$?"
check "detect: valid JSON, labels in {person, car}, boxes consistent" "ok" \
  "$(json_check "$tmp/det.json" detect person,car)"
check "detect: the constrained answer is a JSON list" "list" "$(text_is_list "$tmp/det.json")"
echo "detect (greedy): $(n_objects "$tmp/det.json") objects"
if [ "$ffmpeg" = yes ]; then
  "$CLI" embed --mmproj "$MM" --image "$tmp/greedy.jpg" -o "$tmp/jpg.f32" 2> "$tmp/jpg.err"
  size=$(sed -n 's/.*(\([0-9]*x[0-9]*\) image).*/\1/p' "$tmp/jpg.err")
else
  size=$(draw_check "$tmp/greedy.ppm" | cut -d' ' -f1)
fi
check "--draw OUT.$ext: an image of the input's size" "160x120" "$size"

# detect, sampled: of three seeds, one at least lists objects (at most 3),
# and --draw (PNG with FFmpeg) changes pixels where their boxes are drawn
if [ "$ffmpeg" = yes ]; then ext=png; fi
found=no
for seed in 1 2 3; do
  "$CLI" describe "$IMG" -m "$M" --mmproj "$MM" -t 2 --task detect --labels person,car --json \
    --max-objects 3 --temp 1 --seed $seed --draw "$tmp/s$seed.$ext" > "$tmp/s$seed.json" 2>/dev/null || break
  n_obj=$(n_objects "$tmp/s$seed.json")
  if [ "${n_obj:-0}" -gt 0 ]; then
    found=yes
    break
  fi
done
check "detect --temp 1: a seed gives objects" "yes" "$found"
printf '%s\n' "detect (seed $seed): ${n_obj:-?} objects: $(head -c 300 "$tmp/s$seed.json")"
check "detect --temp 1: valid JSON, labels in the set, boxes consistent" "ok" \
  "$(json_check "$tmp/s$seed.json" detect person,car)"
check "detect --temp 1: the constrained answer is a JSON list of at most 3" "list yes" \
  "$(text_is_list "$tmp/s$seed.json") $([ "${n_obj:-0}" -le 3 ] && echo yes || echo no)"
draw=$(draw_check "$tmp/s$seed.$ext")
echo "--draw $ext: $draw (size, pixels changed)"
check "--draw: decodes, same size as the input" "160x120" "${draw% *}"
check "--draw: boxes drawn (over 50 pixels changed)" "yes" \
  "$([ "${draw#* }" -gt 50 ] 2>/dev/null && echo yes || echo no)"

# failures: the image, the mmproj, usage
printf 'just some text, no picture\n%.0s' 1 2 3 4 5 6 7 8 > "$tmp/notes.txt"
head -c 300 "$IMG" > "$tmp/broken.png"
mmproj_without clip.has_vision_encoder "$tmp/no-vision.gguf"
fails_with "missing image" 1 "none.png" "$tmp/none.png" -m "$M" --mmproj "$MM"
# without FFmpeg only PPM is read: the message says so
if [ "$ffmpeg" = yes ]; then not_image="not an image"; else not_image="not a binary PPM"; fi
fails_with "text file as image" 1 "notes.txt: $not_image" "$tmp/notes.txt" -m "$M" --mmproj "$MM"
fails_with "audio file as image" 1 "speech.wav: $not_image" "$D/mm/speech.wav" -m "$M" --mmproj "$MM"
fails_with "broken image" 1 "broken.png" "$tmp/broken.png" -m "$M" --mmproj "$MM"
fails_with "mmproj without vision" 1 "no vision encoder" "$IMG" -m "$M" --mmproj "$tmp/no-vision.gguf"
fails_with "model without tokenizer" 1 "no tokenizer" "$IMG" -m "$D/text/e2b-f32.gguf" --mmproj "$MM"
fails_with "no --mmproj" 2 "required" "$IMG" -m "$M"
fails_with "--task summarize" 2 "task" "$IMG" -m "$M" --mmproj "$MM" --task summarize
fails_with "classify without labels" 2 "labels" "$IMG" -m "$M" --mmproj "$MM" --task classify
fails_with "two <|image|> in -p" 1 "placeholders" "$IMG" -m "$M" --mmproj "$MM" -p '<|image|> and <|image|>'
fails_with "--draw without detect" 2 "draw" "$IMG" -m "$M" --mmproj "$MM" --draw "$tmp/x.png"
# --draw is checked before any work: the model named does not even exist
fails_with "--draw OUT.gif, before loading" 1 "x.gif: unknown image type" "$IMG" -m "$tmp/none.gguf" \
  --mmproj "$MM" --task detect --draw "$tmp/x.gif"
fails_with "--draw into a missing folder, before loading" 1 \
  "cannot write $tmp/no/x.ppm: No such file or directory" "$IMG" -m "$tmp/none.gguf" --mmproj "$MM" \
  --task detect --draw "$tmp/no/x.ppm"
"$CLI" embed --mmproj "$MM" --image "$tmp/notes.txt" -o "$tmp/e.f32" > /dev/null 2> "$tmp/err"
rc=$?
check "embed --image of a text file fails (1) with a message" "1 yes" \
  "$rc $(grep -q 'notes.txt' "$tmp/err" && echo yes || echo no)"

finish describe
