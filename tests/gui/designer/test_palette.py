"""The palette lists the catalogue's node types by category, the table nodes among them."""

from engine.model.catalogue import AGGREGATES, JOINS, NODE_TYPES, SOURCES, TRANSFORMS
from gui.designer.palette import PaletteWidget


def test_the_palette_lists_every_node_type_with_the_tables_in_their_categories(qtbot):
    palette = PaletteWidget()
    qtbot.addWidget(palette)
    assert set(palette.visible_types()) == set(NODE_TYPES)
    expected = {"table_source": SOURCES, "to_table": TRANSFORMS}
    expected.update({"table_join": JOINS, "table_aggregate": AGGREGATES})
    for type_name, category in expected.items():
        item = palette.type_item(type_name)
        assert item.parent().text(0) == category
        assert item.text(0) == NODE_TYPES[type_name].title
    palette.search.setText("table")
    shown = set(palette.visible_types())
    assert {"table_source", "to_table", "table_join", "table_aggregate"} <= shown
    assert "filter" not in shown
