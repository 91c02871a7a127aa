"""set_fields: adds or replaces fields of a JSON object value.

All field expressions see the incoming value, so their order does not matter. Its
per-record step is declared once (``step``) and run by ``chain.compose``: alone here, or
fused with its neighbours (``engine.runtime.fusion``).
"""

from engine.model.expressions import compile_expression, compile_together, small_together
from engine.runtime.operators.base import only_child
from engine.runtime.operators.chain import Step, compose, small_call

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
    if not compiled:
        return Step((*lines, "value = out"))
    if len(compiled) == 1:
        call, target = f"{name}_0", f"out[{name}_n0]"
        env[call] = compiled[0].fn
        small = (compiled[0].small_fn, compiled[0].small_limit) if compiled[0].small_fn else None
    else:  # every field in one call (expressions.compile_together), in order
        call, target = f"{name}_all", ", ".join(targets)
        env[call] = compile_together(compiled)
        small = small_together(compiled)
    on_json = None
    if small is not None:  # (chain.small_call: the fields without their guards, where exact)
        env[f"{call}_small"] = small[0]
        on_json = (*lines, small_call(target, call, small[1]), "value = out")
    lines += [f"{target} = {call}(key, value, ts, headers)", "value = out"]
    return Step(tuple(lines), on_json=on_json)


def get_executor(node, ctx, children):
    return compose([node], [step], ctx, only_child(children))
