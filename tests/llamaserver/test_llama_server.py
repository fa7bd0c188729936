#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# llama-server takes our files: the tiny E2B-like model with the real
# tokenizer and the mmproj with both encoders load, and
# /v1/chat/completions answers a text chat, an image (image_url data URI) and
# an audio clip (input_audio, base64 WAV) greedily and reproducibly, the
# prompt growing by as many tokens as the encoders' fixture embeddings have
# rows, plus the two markers around them.
# usage: test_llama_server.py (GEMMA4_TEST_MODEL, GEMMA4_TEST_MMPROJ,
# GEMMA4_TEST_DATA set by meson)
import base64
import os
import sys

from llama_server import LlamaServer, http_json, require_binary

# the markers the chat template puts around the embeddings (<|image> <image|>)
MARKERS = 2


def embedding_rows(path, width=128):
    return os.path.getsize(path) // (4 * width)


def text_part(text):
    return {"type": "text", "text": text}


def image_part(path):
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode()
    return {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}


def audio_part(path):
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode()
    return {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}}


def ask(server, parts):
    status, answer = server.chat([{"role": "user", "content": parts}], max_tokens=8)
    if status != 200:
        raise AssertionError(f"HTTP {status}: {answer}")
    message = answer["choices"][0]["message"]
    content = message.get("content")
    if not isinstance(content, str) or not content:
        raise AssertionError(f"no text in the answer: {answer}")
    return content, answer["usage"]["prompt_tokens"]


def main():
    require_binary()
    model, mmproj = os.environ["GEMMA4_TEST_MODEL"], os.environ["GEMMA4_TEST_MMPROJ"]
    mm = os.path.join(os.environ["GEMMA4_TEST_DATA"], "mm")
    failures = 0
    with LlamaServer(model, mmproj) as server:
        status, models = http_json(server.url + "/v1/models")
        print(f"/v1/models: HTTP {status}, {[m['id'] for m in models.get('data', [])]}")
        if status != 200 or not models.get("data"):
            print("FAIL: /v1/models lists no model")
            failures += 1
        question = text_part("Describe this.")
        text, text_tokens = ask(server, [question])
        again, _ = ask(server, [question])
        print(f"text: {text!r} ({text_tokens} prompt tokens)")
        if again != text:
            print(f"FAIL: greedy answers differ: {text!r} then {again!r}")
            failures += 1
        for kind, part, rows in (
                ("image 160x120", image_part(os.path.join(mm, "img_160x120.png")),
                 embedding_rows(os.path.join(mm, "img_160x120.emb.f32"))),
                ("image 50x300", image_part(os.path.join(mm, "img_50x300.png")),
                 embedding_rows(os.path.join(mm, "img_50x300.emb.f32"))),
                ("audio 3.3 s", audio_part(os.path.join(mm, "speech.wav")),
                 embedding_rows(os.path.join(mm, "speech.emb.f32")))):
            answer, tokens = ask(server, [part, question])
            grown = tokens - text_tokens
            print(f"{kind}: {answer!r}, prompt +{grown} tokens ({rows} embeddings)")
            if grown != rows + MARKERS:
                print(f"FAIL: {kind} added {grown} prompt tokens, expected {rows} + {MARKERS}")
                failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
