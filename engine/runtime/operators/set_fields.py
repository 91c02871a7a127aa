"""set_fields: adds or replaces fields of a JSON object value.

All field expressions see the incoming value, so their order does not matter. Its
per-record step is declared once (``step``) and run by ``chain.compose``: alone here, or
fused with its neighbours (``engine.runtime.fusion``).
"""

from engine.model.expressions import compile_expression, compile_together
from engine.runtime.operators.base import only_child
from engine.runtime.operators.chain import Step, compose

NOT_AN_OBJECT = "set_fields needs a JSON object value, got "


class NotAnObjectError(TypeError):
    pass


def step(node, name: str, env: dict) -> Step:
    env["NotAnObjectError"], env["NOT_AN_OBJECT"] = NotAnObjectError, NOT_AN_OBJECT
    lines = [
        "if not isinstance(value, dict):",
        "    raise NotAnObjectError(NOT_AN_OBJECT + type(value).__name__)",
        "out = dict(value)",
    ]
    fields = node.params["fields"]
    targets = []
    for j, field in enumerate(fields):
        env[f"{name}_n{j}"] = field
        targets.append(f"out[{name}_n{j}]")
    compiled = [compile_expression(expr) for expr in fields.values()]
    if len(compiled) == 1:
        env[f"{name}_0"] = compiled[0].fn
        lines.append(f"out[{name}_n0] = {name}_0(key, value, ts, headers)")
    elif compiled:  # every field in one call (expressions.compile_together), in order
        env[f"{name}_all"] = compile_together(compiled)
        lines.append(f"{', '.join(targets)} = {name}_all(key, value, ts, headers)")
    lines.append("value = out")
    return Step(tuple(lines))


def get_executor(node, ctx, children):
    return compose([node], [step], ctx, only_child(children))
