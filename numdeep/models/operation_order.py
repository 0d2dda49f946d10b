"""The order in which Keras lists a functional model's operations (``model.layers``).

Keras sorts them by depth (the longest path to an output), deepest first, and breaks ties by
the order in which a depth-first walk from the outputs first meets them. Weight files follow
this order: a legacy ``.h5`` file matches layers by position and ``.weights.h5`` numbers
same-class layers (``conv2d``, ``conv2d_1``, ...) by it, so a branching model (ResNet, Xception)
loads Keras's files only when numdeep lists its layers the same way.
"""

__all__ = ["keras_operation_order"]


def _walk(input_tensors, output_tensors):
    """``(post, first_seen)``: the graph's nodes in post-order and each operation's pre-order
    index, walking each output's inputs in argument order (Keras's ``_build_map``)."""
    stop = {id(t) for t in input_tensors}
    post, done, first_seen = [], set(), {}
    for out in output_tensors:
        stack = [(out, None)]
        while stack:
            tensor, finished = stack.pop()
            if finished is not None:
                done.add(id(finished))
                post.append(finished)
                continue
            node = tensor.node
            if node is None or id(node) in done:
                continue
            first_seen.setdefault(id(node.operation), len(first_seen))
            if id(tensor) in stop or not node.input_tensors:
                done.add(id(node))
                post.append(node)
                continue
            stack.append((None, node))
            stack.extend((t, None) for t in reversed(node.input_tensors))
    return post, first_seen


def keras_operation_order(input_tensors, output_tensors):
    """The operations between ``input_tensors`` and ``output_tensors`` in Keras's order.

    Args:
        input_tensors: the model's input KerasTensors (outputs of ``InputLayer``s), flattened.
        output_tensors: the model's output KerasTensors, flattened.

    Returns:
        A list of the layers and symbolic ops, each once.

    Example:
        >>> import numdeep as nd
        >>> x = nd.Input((4,))
        >>> a = nd.layers.Dense(2, name="long_1")(nd.layers.Dense(3, name="long_0")(x))
        >>> b = nd.layers.Dense(2, name="short")(x)
        >>> y = nd.layers.Add(name="sum")([b, a])
        >>> [op.name for op in keras_operation_order([x], [y])][1:]
        ['long_0', 'short', 'long_1', 'sum']
    """
    post, first_seen = _walk(input_tensors, output_tensors)
    in_graph = {id(n) for n in post}
    node_depth, op_depth, ops = {}, {}, {}
    for node in reversed(post):
        depth = max(node_depth.setdefault(id(node), 0), op_depth.get(id(node.operation), 0))
        op_depth[id(node.operation)] = depth
        ops[id(node.operation)] = node.operation
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in input_tensors:  # an input no output needs still belongs to the model
        if id(t.node.operation) not in ops:
            ops[id(t.node.operation)] = t.node.operation
            op_depth[id(t.node.operation)] = 0
            first_seen[id(t.node.operation)] = -1
    return sorted(ops.values(), key=lambda op: (-op_depth[id(op)], first_seen[id(op)]))
