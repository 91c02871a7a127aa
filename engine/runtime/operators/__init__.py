"""One operator per node type. Each module has ``get_executor(node, ctx, children)``
returning a closure that processes one Record; the compiler composes them once. ``ctx`` is
an ``engine.runtime.context.RunContext``. ``base`` holds what they share (the Record, the
``parts`` adapter), ``chain`` runs the steps the stateless operators declare."""
