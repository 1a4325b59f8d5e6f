# This file is part of the marketplace modules for Tryton.
"""pytest glue for Tryton tests.

Tryton runs its doctest scenarios (``tests/scenario_*.rst``) through the
unittest ``load_tests`` protocol, which pytest ignores.  This plugin collects
every ``scenario_*.rst`` of the modules and of the top-level ``tests/`` folder
as one pytest item each, with the same setup, teardown, checker and option
flags as ``trytond.tests.test_tryton.load_doc_tests``, so that nothing is
silently skipped.

A module's ``tests/test_scenario.py`` (Tryton's ``load_doc_tests``) becomes
the collector of the scenarios of its folder, which are then not collected
a second time as files of their own; a ``tests/`` folder without it (the
cross-module one) has its scenarios collected as files.
"""
import doctest
import os
import unittest

import pytest


def pytest_configure(config):
    # One database per xdist worker so that workers never share one.
    worker = os.environ.get('PYTEST_XDIST_WORKER')
    if worker and os.environ.get('DB_NAME', ':memory:') != ':memory:':
        os.environ['DB_NAME'] = f"{os.environ['DB_NAME']}_{worker}"


def _is_scenario(path):
    return (path.suffix == '.rst'
        and path.name.startswith('scenario_')
        and path.parent.name == 'tests')


def pytest_collect_file(parent, file_path):
    if (_is_scenario(file_path)
            and not (file_path.parent / 'test_scenario.py').exists()):
        return RstScenarioFile.from_parent(parent, path=file_path)


def pytest_pycollect_makemodule(module_path, parent):
    if (module_path.name == 'test_scenario.py'
            and module_path.parent.name == 'tests'):
        return ScenarioModule.from_parent(parent, path=module_path)


class RstScenarioFile(pytest.File):
    def collect(self):
        yield RstScenario.from_parent(self, name=self.path.name)


class ScenarioModule(pytest.File):
    "The scenarios of a test_scenario.py's folder, as load_doc_tests finds"

    def collect(self):
        for path in sorted(self.path.parent.glob('scenario_*.rst')):
            item = RstScenario.from_parent(self, name=path.name)
            item.scenario_path = path
            yield item


class ScenarioFailed(Exception):
    pass


class RstScenario(pytest.Item):

    @property
    def scenario_path(self):
        return getattr(self, '_scenario_path', self.path)

    @scenario_path.setter
    def scenario_path(self, path):
        self._scenario_path = path

    def runtest(self):
        from trytond import backend
        from trytond.tests.test_tryton import (
            STRIP_DECIMAL, doctest_checker, doctest_setup, doctest_teardown)
        optionflags = (
            doctest.REPORT_ONLY_FIRST_FAILURE
            | doctest.ELLIPSIS
            | doctest.IGNORE_EXCEPTION_DETAIL)
        if backend.name == 'sqlite':
            optionflags |= STRIP_DECIMAL
        suite = doctest.DocFileSuite(
            str(self.scenario_path), module_relative=False,
            setUp=doctest_setup, tearDown=doctest_teardown,
            encoding='utf-8', checker=doctest_checker,
            optionflags=optionflags)
        result = unittest.TestResult()
        cwd = os.getcwd()
        os.chdir(self.scenario_path.parent)
        try:
            suite.run(result)
        finally:
            os.chdir(cwd)
        problems = result.failures + result.errors
        if problems:
            raise ScenarioFailed('\n'.join(text for _, text in problems))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.scenario_path, 0, f"scenario: {self.name}"
