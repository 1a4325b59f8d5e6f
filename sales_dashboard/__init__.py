# This file is part of the marketplace modules for Tryton.
