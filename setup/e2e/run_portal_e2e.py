# This file is part of the marketplace modules for Tryton.
"""Browser walk through the vendor portal of the demo.

Run through ``setup/e2e/portal`` (which installs chromium and
playwright-core first).  It works on a copy of the demo database (built
when missing), starts trytond on a free port of 127.0.0.1, runs
``portal_e2e.js`` as the first demo vendor and stops the server.  Prints the
JSON result of the walk; exit status 0 when it succeeded.
"""
import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_demo_data():
    spec = importlib.util.spec_from_file_location(
        'demo_data', os.path.join(ROOT, 'setup', 'demo_data.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--source', default=os.environ.get('DEMO_DB'),
        help="the demo database to copy (built when missing; default "
        "var/demo.sqlite)")
    parser.add_argument('--db', default=None,
        help="use this database as is instead of a copy")
    parser.add_argument('--shots', default=os.path.join(
            ROOT, 'doc', 'screenshots'), help="folder of the screenshots")
    parser.add_argument('--node-path', default=os.path.join(
            os.environ.get('E2E_NODE_DIR') or os.path.join(
                ROOT, 'var', 'e2e'), 'node_modules'))
    parser.add_argument('--json', default=None,
        help="also write the result to this file")
    parser.add_argument('--timeout', type=int, default=300,
        help="seconds allowed to the browser walk")
    args = parser.parse_args(argv)

    demo = load_demo_data()
    workdir = tempfile.mkdtemp(prefix='marketplace-portal-e2e-')
    process = None
    result = {}
    try:
        if args.db:
            db = args.db
        else:
            db = demo.cached_copy(workdir,
                source=args.source or demo.DEFAULT_DB)
        log = os.path.join(workdir, 'trytond.log')
        process, base_url = demo.start_server(db, log=log, timeout=120)
        env = dict(os.environ, NODE_PATH=args.node_path, BASE_URL=base_url,
            DATABASE=demo.paths(db)['name'], EMAIL=demo.portal_login(db),
            PASSWORD=demo.password_of(db),
            SHOTS=os.path.abspath(args.shots))
        os.makedirs(args.shots, exist_ok=True)
        walk = subprocess.run(
            ['node', os.path.join(HERE, 'portal_e2e.js')], env=env,
            stdout=subprocess.PIPE, timeout=args.timeout)
        lines = walk.stdout.decode('utf-8').strip().splitlines()
        result = json.loads(lines[-1]) if lines else {
            'error': 'the browser walk printed nothing'}
        result['email'] = env['EMAIL']
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


if __name__ == '__main__':
    sys.exit(main())
