"""Sphinx configuration of the documentation of the marketplace modules.

The source directory is the repository itself (``setup/docs`` runs
``sphinx-build -c doc . var/doc/html``), so that each module's ``doc/``
folder and the README are read where they stand; everything else is
excluded.
"""

project = 'Marketplace sales for Tryton'
copyright = 'the authors of the marketplace modules'
root_doc = 'doc/index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = [
    '.*', '**/.*', 'var', 'setup', 'examples', 'tests', '**/tests',
    '*.egg-info', '**/node_modules', 'build', 'dist',
    ]
html_theme = 'alabaster'
html_title = project
language = 'en'
