#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Burns the transcription into the video with textoverlay: each text buffer
# shows for its speech segment, GAP events keep the video moving over
# silence. INPUT is a video file with sound; without one, a test pattern is
# paired with the bundled long.wav. Shows the result when a display is
# available and OUT is not given, else writes OUT (Matroska, Theora + Vorbis).
# Usage: GEMMA4_MODEL=E2B.gguf GEMMA4_MMPROJ=mmproj.gguf \
#          pipelines/overlay.sh [INPUT] [OUT.mkv]
#   GEMMA4_ASR_PROPS adds gemma4asr properties (e.g. language=en),
#   GEMMA4_LAUNCH=echo prints the pipeline instead of running it.
set -eu
usage() { sed -n '3,11s/^# \{0,1\}//p' "$0" >&2; }
case "${1:-}" in
  -h|--help) usage; exit 0;;
esac
. "$(dirname "$0")/common.sh"
out=${2:-}
if [ -z "$out" ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  out=gemma4-overlay.mkv
fi
overlay="textoverlay name=ov valignment=bottom font-desc=\"Sans 20\" wait-text=true"
# Text for a stretch of speech exists only once gemma4asr has heard it (up to
# chunk-duration, 5 s by default, plus inference): every branch that runs
# beside the text must be able to hold that much, or the pipeline stalls.
hold="queue max-size-time=15000000000 max-size-bytes=0 max-size-buffers=0"
# textoverlay takes no more text once the video has ended; when the sound
# goes on longer, a leaky queue lets gemma4asr (and through the tee the
# sound into the muxer) go on to the end instead of waiting for it.
text_in="queue leaky=downstream max-size-time=15000000000 max-size-bytes=0 max-size-buffers=0"
if [ -n "$out" ]; then
  video_out="videoconvert ! theoraenc ! queue ! mux. matroskamux name=mux ! filesink location=\"\\\"$out\\\"\""
  audio_out="audioconvert ! vorbisenc ! queue ! mux."
else
  video_out="videoconvert ! autovideosink"
  audio_out="autoaudiosink"
fi
if [ $# -ge 1 ] && [ -n "$1" ]; then
  in=$(realpath "$1")
  src="filesrc location=\"\\\"$in\\\"\" ! decodebin name=dec"
  video_in="dec."
  audio_in="dec."
else
  wav="$repo/tests/data/mm/long.wav"
  src="videotestsrc pattern=ball num-buffers=$((72 * 10)) ! video/x-raw,width=640,height=360,framerate=10/1 ! ov.video_sink filesrc location=\"\\\"$wav\\\"\" ! wavparse name=dec"
  video_in=""
  audio_in="dec."
fi
eval ${GEMMA4_LAUNCH:-gst-launch-1.0} -q -e $src \
  ${video_in:+$video_in ! $hold ! videoconvert ! ov.video_sink} \
  $audio_in ! queue ! audioconvert ! tee name=t \
    t. ! queue ! audioresample ! $ASR ! $text_in ! ov.text_sink \
    t. ! $hold ! $audio_out \
  $overlay ! $video_out
[ -z "$out" ] || [ -n "${GEMMA4_LAUNCH:-}" ] || echo "wrote $out" >&2
