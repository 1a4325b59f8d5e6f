# This file is part of the marketplace modules for Tryton.
"""Browser walk through the vendor portal of the demo.

Run through ``setup/e2e/portal`` (which installs chromium and
playwright-core first).  It works on a copy of the demo database (built
when missing), starts trytond on a free port of 127.0.0.1, runs
``portal_e2e.js`` as the first demo vendor and stops the server.  Prints the
JSON result of the walk; exit status 0 when it succeeded.
"""
import sys

import walk


def main(argv=None):
    args = walk.parser(__doc__.splitlines()[0]).parse_args(argv)

    def prepare(demo, db, base_url):
        email = demo.portal_login(db)
        env = dict(DATABASE=demo.paths(db)['name'], EMAIL=email,
            PASSWORD=demo.password_of(db))

        def complete(result):
            result['email'] = email
        return env, complete

    return walk.run(args, 'portal_e2e.js', prepare)


if __name__ == '__main__':
    sys.exit(main())
