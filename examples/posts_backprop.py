"""The three seed posts' hand-written backprop, in NumPy only (no tinygrad_np here).

Each post's forward and backward pass, vectorized over the batch but otherwise as the post
wrote it: its layout, activations, parameter names, loss scaling and sign convention, and its
slips where it has them. The tests (tests/test_posts_backprop.py) and the example
(check_handwritten_backprop.py) both import this module, so there is one copy of each.

  post 000  784-16-16-10, sigmoid, sigmoid, softmax; W x + b layout (examples are columns);
            cross-entropy; the per-example gradients are summed and divided by m, so they are
            the gradient of the batch-mean cross-entropy. Its sigmoid is 1/(1+exp(-z+1e-5)),
            i.e. sigmoid(z - 1e-5), and its softmax exp(z+1e-5)/sum: the shift changes the
            model slightly but not the backprop rule (A(1-A) is exactly the derivative of the
            shifted sigmoid), so against autodiff of the *same* forward it agrees.
  post 001  2-64-2, ReLU, softmax; x W + b layout; cross-entropy summed over the batch (no
            division by the batch size). backward() returns label - softmax, the *negative*
            gradient, and sgd() adds it: a sign convention, not a slip.
  post 002  784-16-10, ReLU, sigmoid; x W + b layout; dA = 2 (pred - target), dW = a^T delta / m,
            i.e. the gradient of (1/m) sum_examples sum_outputs (pred - target)^2. Slip: the bias
            gradient is summed over axis=1 (the neurons) instead of axis=0 (the batch), and
            update() subtracts its mean, one scalar, from every bias.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Params = dict[str, np.ndarray]

# ---- post 000: "Coding a Neural Network from scratch" (W x + b, one example per column) ------

POST000_SHIFT = 1e-5  # the post's exp(-Z + 1e-5) and exp(Z3 + 1e-5)


def post000_init(rng: np.random.Generator, sizes: tuple[int, ...] = (784, 16, 16, 10)) -> Params:
    """np.random.rand() - 0.5: W_l uniform in [-0.5, 0.5), shape (out, in); B_l shape (out,)."""
    params: Params = {}
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.random((n_out, n_in)) - 0.5
        params[f"B{layer}"] = rng.random(n_out) - 0.5
    return params


def post000_sigmoid(z: np.ndarray, shift: float = POST000_SHIFT) -> np.ndarray:
    """The post's sigmoid, 1 / (1 + exp(-z + shift)) = sigmoid(z - shift)."""
    return 1 / (1 + np.exp(-z + shift))


def post000_forward(params: Params, X: np.ndarray, shift: float = POST000_SHIFT) -> dict[str, Any]:
    """X: (784, m), one example per column. Returns A1, A2 and y (softmax probabilities)."""
    Z1 = params["W1"] @ X + params["B1"][:, None]
    A1 = post000_sigmoid(Z1, shift)
    Z2 = params["W2"] @ A1 + params["B2"][:, None]
    A2 = post000_sigmoid(Z2, shift)
    Z3 = params["W3"] @ A2 + params["B3"][:, None]
    y = np.exp(Z3 + shift)
    y /= y.sum(axis=0, keepdims=True)
    return {"A1": A1, "A2": A2, "y": y}


def post000_backprop(params: Params, X: np.ndarray, Y_one: np.ndarray,
                     shift: float = POST000_SHIFT) -> Params:
    """The post's backprop, vectorized: its per-example outer products summed over the batch
    (np.outer(dz, a) summed over examples = dz @ a^T), then divided by m as its update does.

    dz3 = y - Y;  dW3 = dz3 A2^T;  db3 = sum dz3;  dz2 = A2 (1 - A2) (W3^T dz3);  ...
    """
    m = X.shape[1]
    f = post000_forward(params, X, shift)
    A1, A2, y = f["A1"], f["A2"], f["y"]
    dz3 = y - Y_one
    dz2 = A2 * (1 - A2) * (params["W3"].T @ dz3)
    dz1 = A1 * (1 - A1) * (params["W2"].T @ dz2)
    sums = {
        "W1": dz1 @ X.T, "B1": dz1.sum(axis=1),
        "W2": dz2 @ A1.T, "B2": dz2.sum(axis=1),
        "W3": dz3 @ A2.T, "B3": dz3.sum(axis=1),
    }
    return {name: g / m for name, g in sums.items()}


def post000_backprop_loop(params: Params, X: np.ndarray, Y_one: np.ndarray) -> Params:
    """The post's own loop, one example at a time, as written (only to check that the
    vectorized version above is the same computation)."""
    W1, B1, W2, B2, W3, B3 = (params[k] for k in ("W1", "B1", "W2", "B2", "W3", "B3"))
    m = X.shape[1]
    dw1, db1 = np.zeros_like(W1), np.zeros_like(B1)
    dw2, db2 = np.zeros_like(W2), np.zeros_like(B2)
    dw3, db3 = np.zeros_like(W3), np.zeros_like(B3)
    for i in range(m):
        Z1 = np.dot(W1, X[:, i]) + B1
        A1 = 1 / (1 + np.exp(-Z1 + 1e-5))
        Z2 = np.dot(W2, A1) + B2
        A2 = 1 / (1 + np.exp(-Z2 + 1e-5))
        Z3 = np.dot(W3, A2) + B3
        y = np.exp(Z3 + 1e-5)
        y /= sum(y)
        dz3 = y - Y_one[:, i]
        dw3 += np.outer(dz3, A2)
        db3 += dz3
        da2 = np.dot(W3.T, dz3)
        dz2 = A2 * (1 - A2) * da2
        dw2 += np.outer(dz2, A1)
        db2 += dz2
        da1 = np.dot(W2.T, dz2)
        dz1 = A1 * (1 - A1) * da1
        dw1 += np.outer(dz1, X[:, i])
        db1 += dz1
    return {"W1": dw1 / m, "B1": db1 / m, "W2": dw2 / m, "B2": db2 / m,
            "W3": dw3 / m, "B3": db3 / m}


def post000_one_hot(labels: np.ndarray, n_class: int = 10) -> np.ndarray:
    """Y_one of the post: (10, m), one column per example."""
    Y_one = np.zeros((n_class, len(labels)))
    Y_one[np.asarray(labels), np.arange(len(labels))] = 1
    return Y_one


# ---- post 001: neural network on two moons (x W + b, one example per row) -----------------

def post001_init(rng: np.random.Generator, n_features: int = 2, n_class: int = 2,
                 n_hidden: int = 64) -> Params:
    """init_network(): all standard normal; W1 (2, 64), b1 (64,), W2 (64, 2), b2 (2,)."""
    return {
        "W1": rng.standard_normal((n_features, n_hidden)),
        "b1": rng.standard_normal(n_hidden),
        "W2": rng.standard_normal((n_hidden, n_class)),
        "b2": rng.standard_normal(n_class),
    }


def post001_one_hot(labels: np.ndarray) -> np.ndarray:
    """one_hot_encode(): label 1 -> [0, 1], label 0 -> [1, 0]."""
    labels = np.asarray(labels)
    return np.stack([labels == 0, labels != 0], axis=1).astype(np.int64)


def post001_softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax with the post's overflow guard: subtract each row's max."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def post001_forward(model: Params, input_data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """forward(): z1 = relu(x W1 + b1), z2 = softmax(z1 W2 + b2); returns (z1, z2)."""
    a1 = input_data @ model["W1"] + model["b1"]
    z1 = np.maximum(a1, 0)  # the post's relu zeroes a1 < 0 in place
    a2 = z1 @ model["W2"] + model["b2"]
    return z1, post001_softmax(a2)


def post001_backward(model: Params, data: np.ndarray, label: np.ndarray) -> Params:
    """backward() as posted: the direction sgd() *adds*, label - softmax, i.e. minus the
    gradient of L = -sum_batch sum_k y_k log z2_k (summed over the batch, not averaged)."""
    z1, z2 = post001_forward(model, data)
    label = post001_one_hot(label)
    db2_temp = label - z2
    db2 = np.sum(db2_temp, axis=0)
    dW2 = z1.T @ db2_temp
    db1_temp = db2_temp @ model["W2"].T
    db1_temp[z1 <= 0] = 0
    db1 = np.sum(db1_temp, axis=0)
    dW1 = data.T @ db1_temp
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def post001_gradients(model: Params, data: np.ndarray, label: np.ndarray) -> Params:
    """The gradient the post's backward() stands for: minus what it returns."""
    return {name: -g for name, g in post001_backward(model, data, label).items()}


# ---- post 002: "Neural Network from Scratch" (x W + b, one example per row) ----------------

POST002_ARCHITECTURE = [
    {"in": 784, "out": 16, "activation": "relu"},
    {"in": 16, "out": 10, "activation": "sigmoid"},
]


def post002_init(rng: np.random.Generator,
                 nn_architecture: list[dict[str, Any]] = POST002_ARCHITECTURE) -> Params:
    """initialise_weights_and_biases(): randn * 0.1, named "weights i->i+1" and "bias i+1"."""
    parameters: Params = {}
    for idx, layer in enumerate(nn_architecture):
        parameters[f"weights {idx}->{idx + 1}"] = rng.standard_normal(
            (layer["in"], layer["out"])) * 0.1
        parameters[f"bias {idx + 1}"] = rng.standard_normal(layer["out"]) * 0.1
    return parameters


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """Post 002's sigmoid, 1 / (1 + exp(-Z))."""
    return 1 / (1 + np.exp(-Z))


def relu(Z: np.ndarray) -> np.ndarray:
    """Post 002's relu, max(0, Z)."""
    return np.maximum(0, Z)


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """dZ = dA s (1 - s), s = sigmoid(Z)."""
    sig = sigmoid(Z)
    return dA * sig * (1 - sig)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """dZ = dA 1[Z > 0]."""
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


_ACTIVATIONS = {"relu": (relu, relu_backward), "sigmoid": (sigmoid, sigmoid_backward)}


def post002_forward(x: np.ndarray, nn_parameters: Params,
                    nn_architecture: list[dict[str, Any]] = POST002_ARCHITECTURE
                    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """forward(): z_i = a_{i-1} W + b, a_i = activation(z_i); returns (a, memory)."""
    memory: dict[str, np.ndarray] = {}
    a = x
    for i in range(1, len(nn_architecture) + 1):
        a_prev = a
        activation, _ = _ACTIVATIONS[nn_architecture[i - 1]["activation"]]
        z = a_prev @ nn_parameters[f"weights {i - 1}->{i}"] + nn_parameters[f"bias {i}"]
        a = activation(z)
        memory[f"a_{i - 1}"] = a_prev
        memory[f"z_{i}"] = z
    return a, memory


def post002_backward(target: np.ndarray, prediction: np.ndarray, memory: dict[str, np.ndarray],
                     param_values: Params,
                     nn_architecture: list[dict[str, Any]] = POST002_ARCHITECTURE,
                     fix_bias: bool = False) -> Params:
    """backward() as posted: dA = 2 (prediction - target); per layer delta = act'(dA, z),
    dW = a_prev^T delta / m, dB = sum(delta, axis=1, keepdims=True) / m  (the slip: shape
    (m, 1), summed over the neurons), dA_prev = delta W^T. fix_bias=True sums over axis=0."""
    gradients: Params = {}
    dA_prev = 2 * (prediction - target)
    for i in reversed(range(1, len(nn_architecture) + 1)):
        dA = dA_prev
        a_prev = memory[f"a_{i - 1}"]
        z = memory[f"z_{i}"]
        w = param_values[f"weights {i - 1}->{i}"]
        _, backprop_activation = _ACTIVATIONS[nn_architecture[i - 1]["activation"]]
        m = a_prev.shape[0]
        delta = backprop_activation(dA, z)
        dW = (a_prev.T @ delta) / m
        if fix_bias:
            dB = np.sum(delta, axis=0) / m
        else:
            dB = np.sum(delta, axis=1, keepdims=True) / m
        dA_prev = delta @ w.T
        gradients[f"dW_{i - 1}->{i}"] = dW
        gradients[f"dB_{i}"] = dB
    return gradients


def post002_gradients(params: Params, x: np.ndarray, target: np.ndarray,
                      fix_bias: bool = False,
                      nn_architecture: list[dict[str, Any]] = POST002_ARCHITECTURE) -> Params:
    """What update() subtracts (divided by the learning rate), by parameter name.

    As posted, every bias receives the same scalar, gradients["dB_i"].mean(); with
    fix_bias=True each bias receives its own sum of delta over the batch, / m.
    """
    prediction, memory = post002_forward(x, params, nn_architecture)
    gradients = post002_backward(target, prediction, memory, params, nn_architecture, fix_bias)
    applied: Params = {}
    for i in range(1, len(nn_architecture) + 1):
        bias = params[f"bias {i}"]
        dB = gradients[f"dB_{i}"]
        applied[f"weights {i - 1}->{i}"] = gradients[f"dW_{i - 1}->{i}"]
        applied[f"bias {i}"] = dB if fix_bias else np.full(bias.shape, dB.mean())
    return applied


def post002_one_hot(labels: np.ndarray, n_class: int = 10) -> np.ndarray:
    """OneHotEncoder().fit_transform(labels).toarray(): (m, 10), one row per example."""
    return np.eye(n_class)[np.asarray(labels)]
