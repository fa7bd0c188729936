#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every output path of every gemma4 element, and gemma4-cli --json, against
schemas/<kind>.schema.json: runs dump_results (the bus, GstGemma4ResultMeta
and the JSON pad of gemma4asr, gemma4vision and gemma4caption), then
gemma4-cli transcribe, describe and caption --json, and validates each record.
Fails when a path gave no record, a line is not one JSON object, or a record
does not validate.
usage: validate_results.py SCHEMAS DUMP_RESULTS CLI MODEL MMPROJ WAV IMAGE [MAKE_TEST_VIDEO]
(CLI "-": gemma4-cli is not built, its paths are skipped)"""
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

KINDS = ("asr", "vision", "caption")


def load_validators(schema_dir):
    store = {}
    for name in os.listdir(schema_dir):
        if name.endswith(".schema.json"):
            schema = json.load(open(os.path.join(schema_dir, name)))
            jsonschema.Draft202012Validator.check_schema(schema)
            store[schema["$id"]] = schema
    validators = {}
    for kind in KINDS:
        schema = json.load(open(os.path.join(schema_dir, kind + ".schema.json")))
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        validators[kind] = jsonschema.Draft202012Validator(schema, resolver=resolver)
    return validators


def run_cli(cli, args, out):
    with open(out, "w") as f:
        subprocess.run([cli] + args, stdout=f, check=True, timeout=300)


def main():
    if len(sys.argv) < 8:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix="gemma4-results-") as tmp:
        return check(sys.argv[1:8], sys.argv[8] if len(sys.argv) > 8 else None, tmp)


def check(args, video_maker, tmp):
    schemas, dump, cli, model, mmproj, wav, image = args
    validators = load_validators(schemas)
    subprocess.run([dump, tmp, model, mmproj, wav], check=True, timeout=600)
    paths = ["bus", "meta", "json_pad"]
    if cli == "-":
        print("gemma4-cli paths: skipped (gemma4-cli not built)")
        return report(validators, paths, False, tmp)
    common = ["-m", model, "--mmproj", mmproj, "-t", "2"]
    run_cli(cli, ["transcribe", wav, "--json", "-n", "4", "--chunk", "1", "--language", "en"]
            + common, os.path.join(tmp, "asr-cli.jsonl"))
    run_cli(cli, ["describe", image, "--json", "--task", "detect", "--labels", "person,car",
                  "-n", "120"] + common, os.path.join(tmp, "vision-cli.jsonl"))
    if video_maker:
        video = os.path.join(tmp, "v.mkv")
        subprocess.run([video_maker, video, "10", "3", "64", "48"], check=True, timeout=60)
        run_cli(cli, ["caption", video, "--json", "-n", "4", "--window", "1s", "--frames", "2"]
                + common, os.path.join(tmp, "caption-cli.jsonl"))
    return report(validators, paths + ["cli"], bool(video_maker), tmp)


def report(validators, paths, cli_captions, tmp):
    """Validates every KIND-PATH.jsonl in tmp; 1 on any failure."""
    failures = 0
    for kind in KINDS:
        for path in paths:
            name = "%s-%s.jsonl" % (kind, path)
            if kind == "caption" and path == "cli" and not cli_captions:
                print("%s: skipped (gemma4-cli without FFmpeg)" % name)
                continue
            lines = open(os.path.join(tmp, name)).read().splitlines()
            statuses = {}
            for i, line in enumerate(lines):
                try:
                    record = json.loads(line)
                except ValueError as e:
                    print("FAIL %s:%d: not JSON (%s): %s" % (name, i + 1, e, line))
                    failures += 1
                    continue
                errors = list(validators[kind].iter_errors(record))
                for e in errors:
                    print("FAIL %s:%d: %s at %s: %s" % (name, i + 1, e.message,
                                                         "/".join(map(str, e.absolute_path)), line))
                failures += len(errors) > 0
                key = record.get("status") if record.get("is_final", True) else "partial"
                statuses[key] = statuses.get(key, 0) + 1
            if kind == "vision" and path in ("bus", "cli") and not any(
                    json.loads(line).get("objects") for line in lines):
                print("FAIL %s: no detected object to validate" % name)
                failures += 1
            if not lines:
                print("FAIL %s: no record" % name)
                failures += 1
            else:
                print("%s: %d records valid (%s)" % (name, len(lines), ", ".join(
                    "%s %d" % kv for kv in sorted(statuses.items()))))
                if path == "json_pad":
                    print("  e.g. " + lines[-1])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
