# This file is part of the marketplace modules for Tryton.
from lxml import etree

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


def sales_board(arch):
    """The arch of the sales dashboard with its legend in the user's
    language (the labels of a board without model are not translated)"""
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False)
    tree = etree.fromstring(arch, parser=parser)
    for label in tree.iterfind('.//label[@name="latest_sale_legend"]'):
        label.set('string', gettext('sales_dashboard.msg_latest_sale_legend'))
    return tree


class View(metaclass=PoolMeta):
    __name__ = 'ir.ui.view'

    @staticmethod
    def sales_dashboard_id():
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        return ModelData.get_id('sales_dashboard', 'sales_dashboard_view_board')

    def view_get(self, model=None):
        result = super().view_get(model=model)
        if self.id == self.sales_dashboard_id():
            result = dict(result)
            result['arch'] = etree.tostring(
                sales_board(result['arch']), encoding='utf-8').decode('utf-8')
        return result

    @classmethod
    def dashboard_view(cls, arch):
        """The personal dashboard (menu Dashboard) of a user who has not
        chosen any cell yet shows the cells of the sales dashboard, when the
        user may read them (sales or accounting group).  Adding a cell in the
        preferences replaces this default by the user's own choice."""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        arch = super().dashboard_view(arch)
        user = User(Transaction().user)
        if user.dashboard_actions:
            return arch
        allowed = {
            ModelData.get_id('sale', 'group_sale'),
            ModelData.get_id('account', 'group_account'),
            }
        if not set(User.get_groups()) & allowed:
            return arch
        default = sales_board(cls(cls.sales_dashboard_id()).arch)
        tree = etree.fromstring(arch)
        for name, value in default.attrib.items():
            tree.set(name, value)
        for element in default:
            tree.append(element)
        return etree.tostring(tree, encoding='utf-8').decode('utf-8')
