"""From the tutorials' NumPy code to numdeep: a neuron, the perceptron, backpropagation by hand.

    python examples/from_scratch.py [--steps 1000] [--seed 0]

1. One neuron (weights, bias, sigmoid) computed by hand, then by ``layers.Dense(1, "sigmoid")``
   given the same weights: the outputs agree.
2. The perceptron learning rule ``w += lr * (target - prediction) * x`` learns AND and OR.
3. A two-layer network (2 -> 16 tanh -> 1 sigmoid) learns two interleaving half moons with
   hand-written backpropagation and gradient descent; at every step the hand-written gradients
   are checked against numdeep's autograd engine (the same computation on
   ``Tensor(requires_grad=True)``, then ``backward()``). Finally ``Sequential`` trains the same
   network from the same starting weights with plain SGD, and its losses follow the hand-made ones.
"""

import argparse

import numpy as np

import numdeep as nd
from numdeep import layers


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ----- 1. one neuron ------------------------------------------------------------------------
def single_neuron():
    print("1. A single neuron: output = sigmoid(x . w + b)")
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    w = np.array([0.2, -0.5, 0.1])
    b = 0.3
    by_hand = sigmoid(x @ w + b)

    dense = layers.Dense(1, activation="sigmoid")
    dense(x[:1].astype("float32"))  # the first call builds the kernel (3, 1) and the bias (1,)
    dense.set_weights([w.reshape(3, 1), np.array([b])])
    by_layer = dense(x.astype("float32")).numpy()[:, 0]
    np.testing.assert_allclose(by_layer, by_hand, rtol=1e-6)
    print(f"   by hand : {np.round(by_hand, 6)}")
    print(f"   Dense(1): {np.round(by_layer, 6)}  (same weights, float32) -> they agree\n")


# ----- 2. the perceptron --------------------------------------------------------------------
def perceptron(name, targets, lr=0.1, max_epochs=100):
    """Rosenblatt's rule on the four corners of the unit square; returns epochs to converge."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    w, b = np.zeros(2), 0.0
    for epoch in range(1, max_epochs + 1):
        errors = 0
        for xi, target in zip(x, targets):
            prediction = 1.0 if xi @ w + b > 0 else 0.0
            w += lr * (target - prediction) * xi
            b += lr * (target - prediction)
            errors += int(prediction != target)
        if errors == 0:
            outputs = (x @ w + b > 0).astype(int)
            print(f"   {name}: converged after {epoch} epochs, w = {np.round(w, 2)}, "
                  f"b = {b:.2f}, outputs {outputs.tolist()} = targets {targets}")
            return epoch
    raise RuntimeError(f"the perceptron did not learn {name} in {max_epochs} epochs")


# ----- 3. a two-layer network by hand -------------------------------------------------------
def make_moons(n, rng, noise=0.15):
    """Two interleaving half circles (label 0 above, 1 below), standardized."""
    t = rng.uniform(0.0, np.pi, n)
    label = np.arange(n) % 2
    x = np.where(label[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], axis=1),
                 np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1))
    x = x + noise * rng.standard_normal((n, 2))
    return (x - x.mean(0)) / x.std(0), label.reshape(n, 1).astype(float)


def forward_backward(params, x, y):
    """Loss and its gradients, with every step of the chain rule written out."""
    w1, b1, w2, b2 = params
    n = len(x)
    h = np.tanh(x @ w1 + b1)  # hidden layer
    p = sigmoid(h @ w2 + b2)  # output probability
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))  # binary cross-entropy
    dz2 = (p - y) / n  # d loss / d (h @ w2 + b2): sigmoid and cross-entropy together
    dw2 = h.T @ dz2
    db2 = dz2.sum(axis=0)
    dh = dz2 @ w2.T
    dz1 = dh * (1 - h * h)  # tanh'(z) = 1 - tanh(z)^2
    dw1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    return loss, [dw1, db1, dw2, db2]


def autograd_gradients(params, x, y):
    """The same loss built from numdeep Tensors (float64); backward() gives the gradients."""
    w1, b1, w2, b2 = tensors = [nd.Tensor(p, requires_grad=True) for p in params]
    h = nd.ops.tanh(nd.ops.matmul(x, w1) + b1)
    p = nd.ops.sigmoid(nd.ops.matmul(h, w2) + b2)
    loss = -nd.ops.mean(y * nd.ops.log(p) + (1 - y) * nd.ops.log(1 - p))
    loss.backward()
    return loss.item(), [t.grad for t in tensors]


def check_gradients(params, x, y, loss, grads):
    auto_loss, auto_grads = autograd_gradients(params, x, y)
    np.testing.assert_allclose(auto_loss, loss, rtol=1e-12)
    for name, g, ag in zip(("w1", "b1", "w2", "b2"), grads, auto_grads):
        np.testing.assert_allclose(ag, g, rtol=1e-9, atol=1e-12, err_msg=f"gradient of {name}")
    return max(float(np.max(np.abs(ag - g))) for g, ag in zip(grads, auto_grads))


def train_by_hand(params, x, y, steps, lr):
    params = [p.copy() for p in params]
    losses, checks, worst = [], 0, 0.0
    for _ in range(steps):
        loss, grads = forward_backward(params, x, y)
        losses.append(loss)
        worst = max(worst, check_gradients(params, x, y, loss, grads))
        checks += 1
        for p, g in zip(params, grads):
            p -= lr * g  # gradient descent
    return params, losses, checks, worst


def accuracy(params, x, y):
    w1, b1, w2, b2 = params
    return float(np.mean((sigmoid(np.tanh(x @ w1 + b1) @ w2 + b2) > 0.5) == (y == 1)))


def two_layer_network(steps, seed, lr=1.0, hidden=16):
    print("3. A two-layer network (2 -> 16 tanh -> 1 sigmoid) on 200 'two moons' points,")
    print("   trained with hand-written backpropagation and full-batch gradient descent")
    rng = np.random.default_rng(seed)
    x, y = make_moons(200, rng)
    init = [rng.normal(0, 1 / np.sqrt(2), (2, hidden)), np.zeros(hidden),
            rng.normal(0, 1 / np.sqrt(hidden), (hidden, 1)), np.zeros(1)]
    params, losses, checks, worst = train_by_hand(init, x, y, steps, lr)
    print(f"   gradient checks passed: {checks} (hand-written vs numdeep autograd, float64; "
          f"largest difference {worst:.1e})")
    print(f"   by hand : loss {losses[0]:.4f} -> {losses[-1]:.4f} after {steps} steps, "
          f"accuracy {accuracy(params, x, y):.3f}")

    model = nd.Sequential([layers.Dense(hidden, activation="tanh", input_shape=(2,)),
                           layers.Dense(1, activation="sigmoid")])
    model.set_weights(init)
    model.compile(optimizer=nd.optimizers.SGD(learning_rate=lr), loss="binary_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x.astype("float32"), y.astype("float32"), batch_size=len(x), epochs=steps,
                     shuffle=False, verbose=0).history
    print(f"   numdeep : loss {hist['loss'][0]:.4f} -> {hist['loss'][-1]:.4f} after {steps} "
          f"steps, accuracy {hist['accuracy'][-1]:.3f} (Sequential + SGD, same start, float32)")
    for step in sorted({0, steps // 10, steps // 2, steps - 1}):
        print(f"     step {step:>5}: by hand {losses[step]:.5f}   numdeep {hist['loss'][step]:.5f}")
    gap = abs(hist["loss"][-1] - losses[-1])
    if gap > 0.01 + 0.05 * losses[-1]:
        raise RuntimeError(f"numdeep's final loss is {gap:.4f} away from the hand-made one")
    print(f"   final losses differ by {gap:.1e}: same network, same updates")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="gradient-descent steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    single_neuron()
    print("2. The perceptron learning rule, w += lr * (target - prediction) * x")
    perceptron("AND", [0, 0, 0, 1])
    perceptron("OR", [0, 1, 1, 1])
    print()
    two_layer_network(args.steps, args.seed)


if __name__ == "__main__":
    main()
