#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The build enforces the layers of HACKING.md and the plugin's symbol list.

usage: check_layers.py includes COMPILE_COMMANDS.json
       check_layers.py symbols PLUGIN.so

includes: for one source file of each layer (core/base ... core/cli,
remote, gst-plugin), with that file's own compiler command, a probe file including
one header of every layer must compile exactly when the included layer is
the file's own or one below it; remote sees the public gemma4.h only, gst-plugin that and remote.
symbols: the plugin's exported (dynamic, defined) symbols are its
GST_PLUGIN_DEFINE entry points and nothing else.
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

# a header of each layer (named unlike any system header), and the layers
# each one may include
HEADER = {
    'include': 'gemma4.h', 'base': 'mapped_file.h', 'gguf': 'gguf.h', 'kernels': 'kernels.h',
    'text': 'vocab.h', 'mm': 'mmproj.h', 'model': 'model.h', 'cli': 'cli.h',
    'remote': 'g4remote.h',
}
BELOW = {
    'base': {'include'},
    'gguf': {'include', 'base'},
    'kernels': {'include', 'base', 'gguf'},
    'text': {'include', 'base', 'gguf'},
    'mm': {'include', 'base', 'gguf', 'kernels'},
    'model': {'include', 'base', 'gguf', 'kernels', 'text'},
    'cli': {'include', 'base', 'gguf', 'kernels', 'text', 'mm', 'model', 'remote'},
    'remote': {'include'},
    'gst-plugin': {'include', 'remote'},
}
PLUGIN_EXPORTS = {'gst_plugin_gemma4_get_desc', 'gst_plugin_gemma4_register'}


def layer_of(path):
    parts = os.path.normpath(path).split(os.sep)
    if 'gst-plugin' in parts:
        return 'gst-plugin'
    if 'remote' in parts:
        return 'remote'
    if 'core' in parts:
        i = parts.index('core')
        if i + 1 < len(parts) and parts[i + 1] in BELOW:
            return parts[i + 1]
    return None


def probe_args(command, probe):
    """The compiler and its -I/-D/-std/-f/-m flags, checking only the syntax of probe."""
    args = shlex.split(command)
    keep = [args[0]]
    skip = False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a in ('-o', '-MQ', '-MF', '-c'):
            skip = True
        elif a.startswith(('-I', '-D', '-std=', '-f', '-m', '-pthread')):
            keep.append(a)
    return keep + ['-fsyntax-only', '-Werror', probe]


def check_includes(db_path):
    with open(db_path) as f:
        db = json.load(f)
    sample = {}
    for e in db:
        layer = layer_of(os.path.join(e['directory'], e['file']))
        if layer and layer not in sample and 'gstgemma4util' not in e['output']:
            sample[layer] = e
    fails = 0
    # gemma4-cli and the plugin are optional parts of the build
    missing = sorted(set(BELOW) - set(sample) - {'cli', 'gst-plugin'})
    if missing:
        print('FAIL: no compile command for layers %s' % ', '.join(missing))
        fails += 1
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, 'probe.c')
        for layer, e in sorted(sample.items()):
            for target, header in sorted(HEADER.items()):
                with open(probe, 'w') as f:
                    f.write('#include "%s"\n' % header)
                r = subprocess.run(probe_args(e['command'], probe), cwd=e['directory'],
                                   capture_output=True, text=True)
                allowed = target == layer or target in BELOW[layer]
                if (r.returncode == 0) != allowed:
                    print('FAIL: %s (%s) %s "%s" of layer %s' % (
                        layer, e['file'], 'cannot include' if allowed else 'can include',
                        header, target))
                    if allowed:
                        print(r.stderr.strip().splitlines()[0] if r.stderr else '')
                    fails += 1
            print('ok: %s sees %s' % (layer, ', '.join(sorted(BELOW[layer] | {layer}))))
    return fails


def check_symbols(plugin):
    r = subprocess.run(['nm', '-D', '--defined-only', plugin], capture_output=True, text=True)
    if r.returncode != 0:
        print('FAIL: nm: %s' % r.stderr.strip())
        return 1
    names = {line.split()[-1] for line in r.stdout.splitlines() if line.strip()}
    extra, absent = sorted(names - PLUGIN_EXPORTS), sorted(PLUGIN_EXPORTS - names)
    if extra or absent:
        print('FAIL: %s exports %d symbols it should not (%s) and lacks %s' % (
            plugin, len(extra), ', '.join(extra[:10]), ', '.join(absent) or 'none'))
        return 1
    print('ok: %s exports only %s' % (plugin, ', '.join(sorted(names))))
    return 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('includes', 'symbols'):
        print(__doc__)
        return 2
    fails = check_includes(sys.argv[2]) if sys.argv[1] == 'includes' else check_symbols(sys.argv[2])
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
