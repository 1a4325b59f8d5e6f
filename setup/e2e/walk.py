# This file is part of the marketplace modules for Tryton.
"""What the browser walks share: their options, a copy of the demo database
served by trytond on a free port of 127.0.0.1, the walk run by node, and its
JSON result printed (exit status 0 when the walk succeeded)."""
import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_demo_data():
    "setup/demo_data.py as a module (the demo's builder)"
    spec = importlib.util.spec_from_file_location(
        'demo_data', os.path.join(ROOT, 'setup', 'demo_data.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parser(description):
    "The options of every walk"
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--source', default=os.environ.get('DEMO_DB'),
        help="the demo database to copy (built when missing; default "
        "var/demo.sqlite)")
    parser.add_argument('--db', default=None,
        help="use this database as is instead of a copy (it is changed)")
    parser.add_argument('--shots', default=os.path.join(
            ROOT, 'doc', 'screenshots'), help="folder of the screenshots")
    parser.add_argument('--node-path', default=os.path.join(
            os.environ.get('E2E_NODE_DIR') or os.path.join(
                ROOT, 'var', 'e2e'), 'node_modules'))
    parser.add_argument('--json', default=None,
        help="also write the result to this file")
    parser.add_argument('--timeout', type=int, default=300,
        help="seconds allowed to the browser walk")
    return parser


def run(args, script, prepare, web_root=None):
    """Serve the demo (a copy unless args.db), run script with node and
    print its result.

    prepare(demo, db, base_url) returns the environment of the walk and a
    function that completes the result (it may ask the server what the walk
    changed) before the server stops."""
    demo = load_demo_data()
    workdir = tempfile.mkdtemp(prefix='marketplace-e2e-')
    process = None
    result = {}
    try:
        db = args.db or demo.cached_copy(
            workdir, source=args.source or demo.DEFAULT_DB)
        log = os.path.join(workdir, 'trytond.log')
        process, base_url = demo.start_server(
            db, web_root=web_root, log=log, timeout=120)
        walk_env, complete = prepare(demo, db, base_url)
        env = dict(os.environ, NODE_PATH=args.node_path, BASE_URL=base_url,
            SHOTS=os.path.abspath(args.shots), **walk_env)
        os.makedirs(args.shots, exist_ok=True)
        walk = subprocess.run(
            ['node', os.path.join(HERE, script)], env=env,
            stdout=subprocess.PIPE, timeout=args.timeout)
        lines = walk.stdout.decode('utf-8').strip().splitlines()
        result = json.loads(lines[-1]) if lines else {
            'error': 'the browser walk printed nothing'}
        complete(result)
        result['exit'] = walk.returncode
        if walk.returncode:
            with open(log, errors='replace') as fp:
                result['server_log_tail'] = fp.read()[-3000:]
    finally:
        if process is not None:
            demo.stop_server(process)
        if not os.environ.get('E2E_KEEP'):
            shutil.rmtree(workdir, ignore_errors=True)
    text = json.dumps(result, indent=1, ensure_ascii=False)
    if args.json:
        with open(args.json, 'w') as fp:
            fp.write(text + '\n')
    print(text)
    return 0 if result.get('exit') == 0 else 1
