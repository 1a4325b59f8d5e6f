# This file is part of the marketplace modules for Tryton.
"""The module's doctest scenarios, as Tryton runs them (``python -m
unittest``); under pytest the root ``conftest.py`` collects each scenario
of this folder as one item of this file."""
from trytond.tests.test_tryton import load_doc_tests


def load_tests(*args, **kwargs):
    return load_doc_tests(__name__, __file__, *args, **kwargs)
