"""What a hyperparameter search may vary: each parameter's bounds, its Optuna distribution, and the
recipe a trial's values make.

A search starts from a base recipe (the Train page's form, or the CLI's options) and varies the
parameters it is given, each over a `Range` checked here, in one place, against the parameter's
bounds. An MLP's hidden sizes are searched as two numbers, `layers` and `width` (the first layer's
size; each later layer is half as wide as the one before, as in the "Large MLP" preset's 1024,512), so that the
figures of a study compare like with like.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from mlcore.activations import ACTIVATIONS
from mlcore.autoencoder import AutoencoderRecipe
from mlcore.classifier import ClassifierRecipe
from mlcore.initializers import INITIALIZERS
from mlcore.optimizers import OPTIMIZERS

# The Train page's batch sizes: a search picks among those within its range, so that a trial's
# settings open in the Train page exactly.
BATCH_SIZES = (1, 2, 5, 8, 16, 32, 64, 128, 256)


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    kind: str                          # 'float' (log scale), 'int', 'int-log', 'batch' or 'choice'
    bounds: tuple = ()                 # (lowest, highest) a range may reach; the choices, for 'choice'
    default: tuple = ()                # the range offered first: (low, high), or choices
    help: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind != "choice"


PARAMETERS = {p.name: p for p in (
    Parameter("lr", "learning rate", "float", (1e-5, 1.0), (1e-4, 1e-1), "searched on a log scale"),
    Parameter("batch", "batch size", "batch", (1, 256), (16, 128), "among 1, 2, 5, 8, 16, ... 256"),
    Parameter("layers", "hidden layers", "int", (1, 4), (1, 3), "MLP: each later layer half as wide"),
    Parameter("width", "first hidden layer's width", "int-log", (8, 2048), (64, 1024),
              "Units of the first hidden layer, on a log scale (an autoencoder's layers either side of its code)"),
    Parameter("activation", "activation", "choice", tuple(sorted(ACTIVATIONS)), ("relu", "sigmoid", "tanh")),
    Parameter("init", "initialisation", "choice", tuple(INITIALIZERS), ("xavier", "he")),
    Parameter("optimizer", "optimizer", "choice", OPTIMIZERS, OPTIMIZERS),
    Parameter("code", "code size", "int-log", (2, 256), (8, 64), "autoencoder: units of the narrowest layer"),
)}
# The parameters that shape the hidden layers: a trial's hidden sizes show them.
SHAPE = ("layers", "width", "code")
# Which parameters apply to which kind of model.
SEARCHABLE = {"mlp": ("lr", "batch", "layers", "width", "activation", "init", "optimizer"),
              "cnn": ("lr", "batch", "optimizer"),
              "autoencoder": ("lr", "batch", "width", "code", "optimizer")}


@dataclass(frozen=True)
class Range:
    """The values of one parameter a search may try: low..high, or a tuple of choices."""
    name: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()

    def __post_init__(self):
        p = PARAMETERS.get(self.name)
        if p is None:
            raise ValueError(f"unknown hyperparameter {self.name!r}; choose from {', '.join(PARAMETERS)}")
        if not p.numeric:
            unknown = [c for c in self.choices if c not in p.bounds]
            if not self.choices or unknown or len(set(self.choices)) != len(self.choices):
                raise ValueError(f"{p.label}: choose one or more of {', '.join(p.bounds)}, each once"
                                 + (f" (unknown: {', '.join(map(str, unknown))})" if unknown else ""))
            return
        if self.low is None or self.high is None or not math.isfinite(self.low) or not math.isfinite(self.high):
            raise ValueError(f"{p.label}: a range needs a finite minimum and maximum")
        if self.low > self.high:
            raise ValueError(f"{p.label}: the minimum {self.low:g} is above the maximum {self.high:g}")
        if self.low < p.bounds[0] or self.high > p.bounds[1]:
            raise ValueError(f"{p.label}: the range must lie within {p.bounds[0]:g} and {p.bounds[1]:g}, "
                             f"got {self.low:g} to {self.high:g}")
        if p.kind == "batch" and not self.batch_sizes():
            raise ValueError(f"{p.label}: no batch size among {', '.join(map(str, BATCH_SIZES))} lies between "
                             f"{self.low:g} and {self.high:g}")

    def contains(self, value) -> bool:
        if self.choices:
            return value in self.choices
        if PARAMETERS[self.name].kind == "batch":
            return value in self.batch_sizes()
        return self.low <= value <= self.high

    def batch_sizes(self) -> tuple[int, ...]:
        return tuple(b for b in BATCH_SIZES if self.low <= b <= self.high)

    def suggest(self, trial):
        """This parameter's value for an Optuna trial (ask-and-tell: the trial from study.ask())."""
        kind = PARAMETERS[self.name].kind
        if kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        if kind == "batch":
            return trial.suggest_categorical(self.name, list(self.batch_sizes()))
        if kind == "float":
            return trial.suggest_float(self.name, self.low, self.high, log=True)
        return trial.suggest_int(self.name, int(self.low), int(self.high), log=kind == "int-log")

    def text(self) -> str:
        """The range as the CLI's --search takes it: lr=0.0001:0.1, activation=relu,tanh."""
        values = ",".join(self.choices) if self.choices else f"{self.low:g}:{self.high:g}"
        return f"{self.name}={values}"

    @classmethod
    def parse(cls, text: str) -> "Range":
        """A range from its text form; ValueError with what is wrong."""
        name, sep, values = text.partition("=")
        p = PARAMETERS.get(name.strip())
        if not sep or p is None:
            raise ValueError(f"a search range looks like lr=0.0001:0.1 or activation=relu,tanh, got {text!r}"
                             + ("" if p or not sep else f"; hyperparameters: {', '.join(PARAMETERS)}"))
        if not p.numeric:
            return cls(p.name, choices=tuple(v.strip() for v in values.split(",") if v.strip()))
        low, colon, high = values.partition(":")
        try:
            return cls(p.name, float(low), float(high if colon else low))
        except ValueError as exc:
            if "could not convert" in str(exc):
                raise ValueError(f"{p.label}: a range looks like {p.default[0]:g}:{p.default[1]:g}, "
                                 f"got {values!r}") from None
            raise


def check_space(space: tuple[Range, ...], model: str) -> None:
    """ValueError unless `space` is one or more distinct parameters that apply to `model`."""
    if not space:
        raise ValueError("the search space is empty: choose at least one hyperparameter to search")
    names = [r.name for r in space]
    if len(set(names)) != len(names):
        raise ValueError(f"each hyperparameter may be searched once, got {', '.join(names)}")
    wrong = [n for n in names if n not in SEARCHABLE[model]]
    if wrong:
        raise ValueError(f"{', '.join(wrong)} cannot be searched for {'an' if model[0] in 'aeiou' else 'a'} "
                         f"{model}; choose from {', '.join(SEARCHABLE[model])}")


def model_of(recipe) -> str:
    """'mlp', 'cnn' or 'autoencoder': which parameters a recipe's search may vary."""
    return "autoencoder" if isinstance(recipe, AutoencoderRecipe) else recipe.arch


def hidden_sizes(layers: int, width: int) -> tuple[int, ...]:
    """A funnel: `width` units, then half as many in each later layer (at least one)."""
    return tuple(max(1, int(width) >> i) for i in range(int(layers)))


def apply(recipe: ClassifierRecipe | AutoencoderRecipe, values: dict, epochs: int):
    """The base recipe with a trial's values, trained for `epochs`."""
    train = replace(recipe.train, epochs=epochs, batch_size=int(values.get("batch", recipe.train.batch_size)))
    changes = {k: values[k] for k in ("lr", "activation", "init", "optimizer") if k in values}
    if isinstance(recipe, AutoencoderRecipe):
        width, code = int(values.get("width", recipe.hidden[0])), int(values.get("code", recipe.bottleneck))
        code = min(code, width)   # a code wider than its layers would not be the bottleneck
        changes["hidden"] = (width, code, width)
    elif recipe.arch == "mlp" and ("layers" in values or "width" in values):
        layers, width = values.get("layers", len(recipe.hidden)), values.get("width", recipe.hidden[0])
        changes["hidden"] = hidden_sizes(layers, width)
    return replace(recipe, train=train, **changes)


def base_values(space: tuple[Range, ...], recipe) -> dict | None:
    """The recipe's own values of the searched parameters, or None when one lies outside its range (or
    its hidden sizes are not a funnel the space can express): a search tries its starting point first."""
    hidden = tuple(recipe.hidden)
    own = {"lr": recipe.lr, "batch": recipe.train.batch_size, "layers": len(hidden), "width": hidden[0],
           "activation": getattr(recipe, "activation", None), "init": getattr(recipe, "init", None),
           "optimizer": recipe.optimizer, "code": min(hidden)}
    values = {r.name: own[r.name] for r in space}
    if not all(r.contains(values[r.name]) for r in space):
        return None
    shaped = model_of(recipe) == "mlp" and ("layers" in values or "width" in values)
    return None if shaped and hidden_sizes(len(hidden), hidden[0]) != hidden else values


def describe(values: dict, recipe) -> str:
    """A trial's values, short, for its run's name: 'lr 0.0032 · batch 64 · hidden 512,256 · relu'
    (`recipe` is the trial's own, which gives the hidden sizes)."""
    parts = []
    for name, value in values.items():
        if name == "lr":
            parts.append(f"lr {value:.2g}")
        elif name == "batch":
            parts.append(f"batch {value}")
        elif name in SHAPE and not any(n in values for n in SHAPE[:SHAPE.index(name)]):
            parts.append("hidden " + ",".join(map(str, recipe.hidden)))
        elif name not in SHAPE:
            parts.append(str(value))
    return " · ".join(parts)
