"""One operator per node type. Each module has ``get_executor(node, ctx, children)``
returning a closure that processes one Record; the compiler composes them once."""
