"""Gradient-descent optimizers and the step learning-rate schedule.

An optimizer updates every parameter of a network in place from the gradients
its last backward pass left in the layers. State (velocities, moments) is kept
per parameter key, so one optimizer belongs to one network.
"""
from __future__ import annotations

import numpy as np


def _check_positive(name, value, allow_zero=False):
    ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")


class Optimizer:
    def __init__(self, lr: float, weight_decay: float = 0.0):
        _check_positive("learning rate", lr)
        _check_positive("weight decay", weight_decay, allow_zero=True)
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def step(self, network) -> None:
        for key, layer, name in network.parameters():
            grad = layer.grads[name]
            if self.weight_decay and name == "W":
                # L2 on weights only: shrinking biases does not regularise the fit.
                grad = grad + self.weight_decay * layer.params[name]
            layer.params[name] -= self._update(key, grad)

    def _update(self, key: str, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class SGD(Optimizer):
    """Plain SGD, or heavy-ball momentum when momentum > 0."""

    def __init__(self, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def _update(self, key, grad):
        if not self.momentum:
            return self.lr * grad
        v = self.state.setdefault(key, {"v": np.zeros_like(grad)})["v"]
        v *= self.momentum
        v += self.lr * grad
        return v


class Adam(Optimizer):
    """Kingma & Ba (2015) with bias-corrected first and second moments."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        for name, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {b!r}")
        _check_positive("eps", eps)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _update(self, key, grad):
        s = self.state.get(key)
        if s is None:
            s = self.state[key] = {"m": np.zeros_like(grad), "v": np.zeros_like(grad),
                                   "tmp": np.empty_like(grad), "t": 0}
        s["t"] += 1
        t, m, v, tmp = s["t"], s["m"], s["v"], s["tmp"]
        m *= self.beta1
        np.multiply(grad, 1 - self.beta1, out=tmp)
        m += tmp
        v *= self.beta2
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - self.beta2
        v += tmp
        # m_hat / (sqrt(v_hat) + eps) with the bias corrections folded into two
        # scalars, so that the update needs no extra full-size arrays.
        c2 = np.sqrt(1 - self.beta2**t)
        np.sqrt(v, out=tmp)
        tmp += self.eps * c2
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr * c2 / (1 - self.beta1**t)
        return tmp


OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(name: str, lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> Optimizer:
    """'sgd', 'momentum' (SGD with `momentum`) or 'adam'."""
    if name == "sgd":
        return SGD(lr, 0.0, weight_decay)
    if name == "momentum":
        return SGD(lr, momentum, weight_decay)
    if name == "adam":
        return Adam(lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


class StepDecay:
    """lr(epoch) = base * factor ** (epoch // step); step=0 keeps it constant."""

    def __init__(self, step: int = 0, factor: float = 0.5):
        if step < 0:
            raise ValueError(f"decay step must be >= 0 epochs, got {step!r}")
        if not 0.0 < factor <= 1.0:
            raise ValueError(f"decay factor must be in (0, 1], got {factor!r}")
        self.step, self.factor = int(step), float(factor)

    def __call__(self, base_lr: float, epoch: int) -> float:
        return base_lr if self.step == 0 else base_lr * self.factor ** (epoch // self.step)
