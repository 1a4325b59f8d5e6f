# This file is part of the marketplace modules for Tryton.

# The routes are registered on the WSGI application when trytond imports the
# module; they answer only for databases where the module is activated.
from . import routes  # noqa: F401
