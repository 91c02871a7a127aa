"""The canvas: a QGraphicsScene that mirrors the topology model, its items and its view."""
