"""rekey: the record's key becomes the expression's result.

Its per-record step is declared once (``step``) and run by ``chain.compose``: alone here,
or fused with its neighbours (``engine.runtime.fusion``)."""

from engine.runtime.operators.base import only_child
from engine.runtime.operators.chain import compose, expression_step

step = expression_step("key")


def get_executor(node, ctx, children):
    return compose([node], [step], ctx, only_child(children))
