# This file is part of the marketplace modules for Tryton.
from trytond.pool import Pool, PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'marketplace.configuration'

    @classmethod
    def default_payout_email_template(cls):
        "The French/English template shipped with the module"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id(
                'marketplace_sales_payout', 'email_template_payout')
        except KeyError:
            return None
