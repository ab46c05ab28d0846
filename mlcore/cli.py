"""The command line: python -m mlcore COMMAND ...

COMMAND is one of train, tune, evaluate, ensemble, autoencoder, ocr, ocr-verifier, ocr-words, gradcheck, download.

Every failure a user can cause (a missing or malformed file, a bad option
value, no data, no network) ends with a one-line 'error: ...' and exit code 2,
never a traceback.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path

import numpy as np

from mlcore.activations import ACTIVATIONS
from mlcore.autoencoder import (
    HOMEWORK_HIDDEN,
    HOMEWORK_LR,
    HOMEWORK_TRAIN,
    AutoencoderRecipe,
    evaluate_autoencoder,
    train_autoencoder,
)
from mlcore.classifier import ARCHITECTURES, ClassifierRecipe, train_classifier
from mlcore.classifier import HOMEWORK_LR as CLASSIFIER_LR
from mlcore.classifier import HOMEWORK_TRAIN as CLASSIFIER_TRAIN
from mlcore.data.augment import MAX_ELASTIC, Augmentation
from mlcore.data.classes import CLASSES
from mlcore.data.datasets import SYNTHETIC, DataNotFoundError, available_datasets, default_name, load_dataset
from mlcore.data.download import SOURCES, DownloadError, Meter, download, mirrored
from mlcore.data.formats import DataFormatError, load_labelled_file
from mlcore.data.paths import data_dir, default_autoencoder_path, default_classifier_path
from mlcore.ensemble import combine_classifiers
from mlcore.gradcheck import EPS, TOLERANCE, check_suite
from mlcore.initializers import INITIALIZERS
from mlcore.metrics import classification_report
from mlcore.model_io import ModelFileError, load_autoencoder, load_classifier, load_model_bytes, save_model
from mlcore.ocr.verifier import MAX_CROPS, TRAIN_CROPS, load_verifier, train_verifier
from mlcore.ocr.verifier import RECIPES as VERIFIER_RECIPES
from mlcore.ocr.words import MAX_WORDS, WordTraining, load_word_cnn, train_word_cnn
from mlcore.optimizers import OPTIMIZERS
from mlcore.progress import ProgressBar, bar
from mlcore.training import TrainConfig
from mlcore.tuning.space import SEARCHABLE, Range
from mlcore.tuning.study import ENV_STORAGE, PRUNERS

EXIT_USAGE = 2
EXIT_FAILED = 1


class TrainingFailed(RuntimeError):
    """A training that ended without a model (its worker died)."""
USER_ERRORS = (ValueError, DataFormatError, ModelFileError, DataNotFoundError, DownloadError, OSError)


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


# ---------------------------------------------------------------- train
def _add_training_options(p, *, optimizer: str, lr: float, batch_size: int, epochs: int) -> None:
    """Options every training command shares: the data, the optimizer and the training loop."""
    p.add_argument("--data-dir", type=Path, default=None, help="data directory (default: $MLCORE_DATA_DIR or data/)")
    p.add_argument("--dataset", default=None, help="'nist36', 'handwriting' or 'synthetic' (default: nist36 when "
                   "present, then handwriting, then synthetic)")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the stratified train/valid/test split")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=optimizer)
    p.add_argument("--lr", type=_finite_float, default=lr, help="learning rate (on the mean batch loss)")
    p.add_argument("--momentum", type=_finite_float, default=0.9, help="momentum for --optimizer momentum")
    p.add_argument("--weight-decay", type=_finite_float, default=0.0, help="L2 weight decay")
    p.add_argument("--batch-size", type=_positive_int, default=batch_size)
    p.add_argument("--epochs", type=_positive_int, default=epochs)
    p.add_argument("--decay-step", type=int, default=0, help="epochs between learning-rate decays (0: none)")
    p.add_argument("--decay-factor", type=_finite_float, default=0.5, help="learning-rate multiplier at each decay")
    p.add_argument("--augment", action="store_true", help="random rotation, scale, shear, shift and stroke width")
    p.add_argument("--elastic", type=_finite_float, default=0.0, metavar="PIXELS",
                   help="with --augment: also bend the strokes by a smooth random field of this RMS size")
    p.add_argument("--no-balance", dest="balance", action="store_false",
                   help="sample the training set as it is, instead of every class equally often")
    p.add_argument("--seed", type=int, default=0, help="seed of initialisation, shuffling and augmentation")
    p.add_argument("--out", type=Path, default=None, help="where to save the model (.npz)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="train on the workers of this Dask cluster instead of here (they read their own data "
                        "directory, or this one when they share it)")


def _augmentation(args) -> Augmentation | None:
    if args.elastic and not args.augment:
        raise ValueError("--elastic is part of the augmentation: add --augment")
    return Augmentation(elastic=args.elastic) if args.augment else None


def _train_config(args) -> TrainConfig:
    return TrainConfig(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, balance=args.balance,
                       decay_step=args.decay_step, decay_factor=args.decay_factor)


def _add_classifier_options(p) -> None:
    """The network's options of `train` and `tune`."""
    p.add_argument("--arch", choices=ARCHITECTURES, default="mlp",
                   help="fully connected (mlp) or convolutional (cnn) network")
    p.add_argument("--hidden", type=_positive_int, nargs="+", default=[64], help="mlp: hidden layer sizes")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="sigmoid", help="mlp: hidden activation")
    p.add_argument("--init", choices=sorted(INITIALIZERS), default="xavier", help="mlp: weight initialisation")
    p.add_argument("--channels", type=_positive_int, nargs="+", default=[32, 64],
                   help="cnn: channels of each conv-maxpool-ReLU stage")
    p.add_argument("--dense", type=_positive_int, default=128, help="cnn: width of the dense layer")
    p.add_argument("--kernel-size", type=_positive_int, default=3, help="cnn: convolution kernel size (odd)")
    p.add_argument("--dropout", type=_finite_float, default=0.0, help="dropout rate after the hidden/dense layers")
    p.add_argument("--synthetic", type=int, default=0,
                   help="stroke-font characters per class (distorted) mixed into the training set")
    p.add_argument("--no-standardize", dest="standardize", action="store_false",
                   help="feed the raw pixels (as the homework did) instead of centring and scaling them")


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a classifier on the real handwriting data",
                       description="Train a classifier. The defaults are the homework's 1024-64(sigmoid)-36 "
                                   "network with its tuned SGD setting; add --no-standardize to also feed it raw "
                                   "pixels, as the homework did.",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _add_classifier_options(p)
    _add_training_options(p, optimizer="sgd", lr=CLASSIFIER_LR, batch_size=CLASSIFIER_TRAIN.batch_size,
                          epochs=CLASSIFIER_TRAIN.epochs)
    p.set_defaults(func=_train)


def recipe_from_args(args) -> ClassifierRecipe:
    """The training recipe that `train`'s options describe."""
    return ClassifierRecipe(
        arch=args.arch, hidden=tuple(args.hidden), activation=args.activation, init=args.init,
        channels=tuple(args.channels), dense=args.dense, kernel_size=args.kernel_size, dropout=args.dropout,
        synthetic=args.synthetic, standardize=args.standardize, optimizer=args.optimizer, lr=args.lr,
        momentum=args.momentum, weight_decay=args.weight_decay, train=_train_config(args),
        augmentation=_augmentation(args))


def _train_options(recipe: ClassifierRecipe, dataset: str | None, split_seed: int) -> dict[str, list[str]]:
    """Each of `train`'s options as the tokens that give the recipe's value ([] for a flag left off); the
    learning rate in full, so that a tuned trial's command trains exactly what the trial trained."""
    t, aug = recipe.train, recipe.augmentation
    return {"--dataset": [dataset] if dataset else [], "--split-seed": [str(split_seed)], "--arch": [recipe.arch],
            **({"--hidden": [str(h) for h in recipe.hidden], "--activation": [recipe.activation],
                "--init": [recipe.init]} if recipe.arch == "mlp" else
               {"--channels": [str(c) for c in recipe.channels], "--dense": [str(recipe.dense)],
                "--kernel-size": [str(recipe.kernel_size)]}),
            "--dropout": [f"{recipe.dropout:g}"], "--synthetic": [str(recipe.synthetic)],
            "--no-standardize": [] if recipe.standardize else [""], "--optimizer": [recipe.optimizer],
            "--lr": [repr(recipe.lr)], "--momentum": [f"{recipe.momentum:g}"],
            "--weight-decay": [f"{recipe.weight_decay:g}"], "--batch-size": [str(t.batch_size)],
            "--epochs": [str(t.epochs)], "--decay-step": [str(t.decay_step)], "--decay-factor": [f"{t.decay_factor:g}"],
            "--no-balance": [] if t.balance else [""], "--augment": [""] if aug else [],
            "--elastic": [f"{aug.elastic:g}"] if aug and aug.elastic else [], "--seed": [str(t.seed)]}


def train_command(recipe: ClassifierRecipe, dataset: str | None = None, split_seed: int = 0) -> str:
    """The `python -m mlcore train` command that trains `recipe`: the options that differ from the defaults."""
    given = _train_options(recipe, dataset, split_seed)
    defaults = recipe_from_args(build_parser().parse_args(["train"]))
    default = _train_options(replace(defaults, arch=recipe.arch), None, 0)
    tokens = ["python", "-m", "mlcore", "train"]
    for option, values in given.items():
        if values != default.get(option) and values:
            tokens += [option] + [v for v in values if v]
    return shlex.join(tokens)


def _invocation(args) -> str:
    """The command as it was typed (the arguments `main` was given), recorded with the model it saved."""
    return "python -m mlcore " + shlex.join(args.argv)


def _run_training(args, recipe, train, report) -> int:
    """Train here or on a cluster with a progress bar, save the model when asked, print the summary as JSON."""
    if args.out is not None and args.out.suffix != ".npz":
        raise ValueError(f"--out must end in .npz, got {args.out}")
    callbacks = [] if args.quiet else [ProgressBar(args.epochs)]
    command = _invocation(args)
    try:
        if args.scheduler:
            result = _train_on_cluster(args, recipe, command, callbacks)
        else:
            dataset = load_dataset(args.dataset, args.data_dir, seed=args.split_seed)
            print(f"dataset {dataset.name}: " + ", ".join(
                f"{k} {v['n']} ({v['letters']} letters, {v['digits']} digits)" for k, v in dataset.summary().items()),
                file=sys.stderr)
            for note in dataset.notes:
                print(f"data: {note}", file=sys.stderr)
            if dataset.name == SYNTHETIC:
                print("(synthetic: characters drawn from stroke fonts, not real handwriting; "
                      "`python -m mlcore download` fetches real data)", file=sys.stderr)
            trained = train(dataset, recipe, command=command, callbacks=callbacks)
            result = (trained.network, trained.metadata, trained.result.status, trained.result.message,
                      trained.result.epochs_run, trained.metrics)
    except KeyboardInterrupt:
        print("\ninterrupted: nothing saved", file=sys.stderr)
        return 130
    network, metadata, status, message, epochs_run, metrics = result
    summary = {"status": status, "message": message, "epochs_run": epochs_run, "model": network.describe(),
               **{split: report(m) for split, m in metrics.items()}}
    if args.scheduler:
        summary["worker"] = metadata["worker"]
    if args.out is not None:
        save_model(args.out, network, metadata)
        summary["saved"] = str(args.out)
    _print_json(summary)
    return 1 if status == "diverged" else 0


def _train_on_cluster(args, recipe, command, callbacks) -> tuple:
    """Train on the cluster at args.scheduler: what a local training gives, the worker's address in the metadata."""
    from mlcore.jobs.cluster import ClusterSettings, start_executor
    from mlcore.jobs.follow import wait_for
    from mlcore.jobs.progress import STOP

    try:
        executor = start_executor(ClusterSettings(scheduler=args.scheduler))
    except (OSError, TimeoutError) as exc:
        raise OSError(f"the Dask scheduler at {args.scheduler} cannot be reached ({exc})") from None
    print(f"training on the cluster at {args.scheduler}", file=sys.stderr)
    job = executor.submit([("cli", recipe)], args.dataset, owner="cli", split_seed=args.split_seed,
                          data_dir=str(args.data_dir or data_dir()), command=command)
    try:
        wait_for(job, callbacks)
    except KeyboardInterrupt:
        executor.control(job, STOP)
        raise
    finally:
        executor.close()
    outcome = job.runs[0].outcome
    if outcome is None:
        raise TrainingFailed(f"the training failed on the cluster: {job.error}")
    model = load_model_bytes(outcome.model, "the model sent back by the worker")
    return (model.network, {**model.metadata, "worker": outcome.worker}, outcome.status, outcome.message,
            len(outcome.history.get("epoch", [])), outcome.metrics)


def _accuracies(report: dict) -> dict:
    """The headline numbers of a classification_report."""
    out = {"accuracy": report["accuracy"], "balanced_accuracy": report["balanced_accuracy"],
           "letters": report["letters"]["accuracy"], "digits": report["digits"]["accuracy"]}
    if "within_group" in report:
        out["within_group"] = {group: r["accuracy"] for group, r in report["within_group"].items()}
    if "sources" in report:
        out["sources"] = {name: r["accuracy"] for name, r in report["sources"].items()}
    return out


def _train(args) -> int:
    return _run_training(args, recipe_from_args(args), train_classifier, _accuracies)


# ---------------------------------------------------------------- tune
def _add_tune(sub) -> None:
    p = sub.add_parser("tune", help="search a classifier's hyperparameters with Optuna, trials on Dask workers",
                       description="Search hyperparameters: each trial trains the network the other options "
                                   "describe, with the --search values Optuna's TPE sampler picks, on the workers; "
                                   "the pruner stops trials whose validation accuracy falls behind. Every trial "
                                   "is saved as a run in the registry (MLCORE_RUNS_DIR), tagged with its study. "
                                   "Prints JSON: each trial, the best, and the command that trains the best.",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--search", type=_search_range, action="append", required=True, metavar="NAME=RANGE",
                   help="a hyperparameter and its range, repeatable: lr=0.0001:0.1 (log scale), batch=16:128, "
                        f"layers=1:3, width=64:1024, activation=relu,tanh; one of {', '.join(SEARCHABLE['mlp'])}")
    p.add_argument("--study", default="study", help="the study's name: run again with the same settings to add "
                                                     "trials to it")
    p.add_argument("--trials", type=_positive_int, default=20, help="trials to run")
    p.add_argument("--minutes", type=_finite_float, default=0.0, help="wall-time budget (0: none)")
    p.add_argument("--pruner", choices=PRUNERS, default="median", help="how bad trials are stopped early")
    p.add_argument("--sampler-seed", type=int, default=0, help="seed of Optuna's sampler")
    p.add_argument("--storage", default=None, help=f"Optuna storage URL (default: ${ENV_STORAGE}, or "
                                                   "studies.sqlite beside the runs registry)")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="local worker processes, without --scheduler (default: one per core)")
    _add_classifier_options(p)
    _add_training_options(p, optimizer="sgd", lr=CLASSIFIER_LR, batch_size=CLASSIFIER_TRAIN.batch_size, epochs=10)
    p.set_defaults(func=_tune)


def _search_range(text: str) -> Range:
    try:
        return Range.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _tune(args) -> int:
    from mlcore.jobs.cluster import ClusterSettings, start_executor
    from mlcore.registry import Registry
    from mlcore.tuning.search import Search
    from mlcore.tuning.study import Budget, StudySpec, open_storage, open_study, storage_url

    if args.out is not None and args.out.suffix != ".npz":
        raise ValueError(f"--out must end in .npz, got {args.out}")
    base = recipe_from_args(args)
    budget = Budget(trials=args.trials, epochs=args.epochs, minutes=args.minutes)
    spec = StudySpec(args.study, base, tuple(args.search), args.epochs, args.dataset or default_name(
        available_datasets(args.data_dir or data_dir())), args.split_seed, args.pruner, args.sampler_seed)
    study = open_study(spec, open_storage(storage_url(given=args.storage)))
    settings = ClusterSettings(scheduler=args.scheduler, workers=args.workers or ClusterSettings.from_env().workers)
    try:
        executor = start_executor(replace(settings, per_visitor=10**6))
    except (OSError, TimeoutError) as exc:
        raise OSError(f"the Dask scheduler at {args.scheduler} cannot be reached ({exc})") from None
    search = Search(executor, spec, study, budget, owner="", registry=Registry(),
                    data_dir=str(args.data_dir or data_dir()))
    interrupted = False
    try:
        search.run(on_step=None if args.quiet else _TrialLines())
    except KeyboardInterrupt:   # the running trials are stopped and saved, and the summary printed
        search.stop("interrupted")
        search.run()
        interrupted = True
    finally:
        executor.close()
    code = _tune_summary(args, search)
    return 130 if interrupted else code


class _TrialLines:
    """Prints a line per trial as it ends, and a progress line while trials run."""

    def __init__(self):
        self.told, self.line = set(), ""

    def __call__(self, search) -> None:
        ended = [t for t in search.trials if t.state != "running"]
        for t in (t for t in ended if t.number not in self.told):
            value = f"{t.value:.4f}" if t.value is not None else t.state
            print(f"\rtrial {t.number}: {value} {t.name.split(': ', 1)[-1]}"
                  + (f" ({t.reason})" if t.reason else "") + " " * 10, file=sys.stderr)
            self.told.add(t.number)
        running = len(search.trials) - len(ended)
        line = f"[{bar(len(ended) / search.budget.trials)}] {len(ended)}/{search.budget.trials} trials ended, " \
               f"{running} running"
        if line != self.line:
            sys.stderr.write(f"\r{line}   ")
            sys.stderr.flush()
            self.line = line


def _tune_summary(args, search) -> int:
    """Print the search's JSON summary; save the best trial's model to --out when asked."""
    from mlcore.registry import Registry

    best = search.best()
    sys.stderr.write("\n")
    summary = {"study": search.spec.name, "state": search.state, "message": search.message,
               "objective": search.spec.objective, "seconds": round(search.ended - search.started, 1),
               "trials": [{"number": t.number, "state": t.state, "value": t.value, "params": t.values,
                           "epochs": t.epochs, "run": t.run_id, "reason": t.reason} for t in search.trials],
               "best": None if best is None else {
                   "number": best.number, "value": best.value, "params": best.values, "run": best.run_id,
                   "command": train_command(best.recipe, search.spec.dataset, search.spec.split_seed)}}
    if best is not None and args.out is not None and best.run_id:
        model = load_classifier(Registry().get(best.run_id).model_path)
        save_model(args.out, model.network, model.metadata)
        summary["saved"] = str(args.out)
    _print_json(summary)
    return 0 if best is not None else EXIT_FAILED


# ---------------------------------------------------------------- evaluate
def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="accuracy of a model on a labelled file",
                       description="Evaluate a classifier on a homework .mat file (all its splits) or an "
                                   "IDX images file (its labels file beside it). Prints JSON.")
    p.add_argument("--data", type=Path, required=True, help="a .mat file or a '...-images-idx3-ubyte[.gz]' file")
    p.add_argument("--model", type=Path, default=None, help="model file (default: the shipped classifier)")
    p.set_defaults(func=_evaluate)


def _evaluate(args) -> int:
    path = args.model or default_classifier_path()
    model = load_classifier(path)
    X, y, _ = load_labelled_file(args.data)
    report = classification_report(y, model.network.predict(X), model.classes)
    _print_json({"data": str(args.data), "model": str(path), **report})
    return 0


# ---------------------------------------------------------------- ensemble
def _add_ensemble(sub) -> None:
    p = sub.add_parser("ensemble", help="combine trained classifiers into one that averages them",
                       description="Combine classifier files (same classes, e.g. one recipe trained with several "
                                   "seeds) into one model file whose probabilities are the mean of theirs. "
                                   "Evaluates it on every split of the dataset the members were trained on; "
                                   "prints JSON.")
    p.add_argument("models", type=Path, nargs="+", help="two or more classifier files")
    p.add_argument("--out", type=Path, required=True, help="where to save the ensemble (.npz)")
    p.add_argument("--data-dir", type=Path, default=None, help="data directory (default: $MLCORE_DATA_DIR or data/)")
    p.add_argument("--dataset", default=None, help="'nist36' or 'handwriting' (default: the members' own)")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the stratified train/valid/test split")
    p.set_defaults(func=_ensemble)


def _ensemble(args) -> int:
    if args.out.suffix != ".npz":
        raise ValueError(f"--out must end in .npz, got {args.out}")
    models = [load_classifier(path) for path in args.models]
    name = args.dataset or models[0].metadata.get("data", {}).get("dataset")
    dataset = load_dataset(name, args.data_dir, seed=args.split_seed)
    network, metadata, _ = combine_classifiers(models, dataset, _invocation(args))
    save_model(args.out, network, metadata)
    _print_json({"model": network.describe(), "saved": str(args.out),
                 **{split: _accuracies(m) for split, m in metadata["metrics"].items()}})
    return 0


# ---------------------------------------------------------------- autoencoder
def _add_autoencoder(sub) -> None:
    group = sub.add_parser("autoencoder", help="train or evaluate an image-compressing autoencoder",
                           description="The homework's Q5: a network that squeezes each 32x32 character "
                                       "through a narrow code and rebuilds it. Scored by PSNR (dB).")
    commands = group.add_subparsers(dest="autoencoder_command", required=True, metavar="COMMAND")
    p = commands.add_parser("train", help="train an autoencoder",
                            description="Train an autoencoder. The defaults are the homework's 1024-32-32-32-1024 "
                                        "(ReLU, sigmoid output) with momentum SGD.",
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--hidden", type=_positive_int, nargs="+", default=list(HOMEWORK_HIDDEN),
                   help="hidden layer sizes; the narrowest one is the code")
    p.add_argument("--standardize", action="store_true",
                   help="centre and scale the inputs (the network still rebuilds the pixels)")
    _add_training_options(p, optimizer="momentum", lr=HOMEWORK_LR, batch_size=HOMEWORK_TRAIN.batch_size,
                          epochs=HOMEWORK_TRAIN.epochs)
    p.set_defaults(func=_autoencoder_train)
    p = commands.add_parser("evaluate", help="mean PSNR of an autoencoder's reconstructions",
                            description="Reconstruct every image of a labelled file (or, without --data, the "
                                        "validation split the model was trained beside) and print JSON with the "
                                        "mean PSNR, per class and for letters and digits.")
    p.add_argument("--model", type=Path, default=None, help="autoencoder file (default: the shipped one)")
    p.add_argument("--data", type=Path, default=None, help="a .mat file or a '...-images-idx3-ubyte[.gz]' file")
    p.add_argument("--data-dir", type=Path, default=None, help="data directory, without --data")
    p.set_defaults(func=_autoencoder_evaluate)


def autoencoder_recipe_from_args(args) -> AutoencoderRecipe:
    """The recipe that `autoencoder train`'s options describe."""
    return AutoencoderRecipe(hidden=tuple(args.hidden), standardize=args.standardize, optimizer=args.optimizer,
                             lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay,
                             train=_train_config(args), augmentation=_augmentation(args))


def _autoencoder_train(args) -> int:
    return _run_training(args, autoencoder_recipe_from_args(args), train_autoencoder, lambda m: {
        "psnr": m["psnr"], "balanced_psnr": m["balanced_psnr"], "letters": m["letters"], "digits": m["digits"]})


def _autoencoder_evaluate(args) -> int:
    path = args.model or default_autoencoder_path()
    model = load_autoencoder(path)
    if args.data is not None:
        X, y, _ = load_labelled_file(args.data)
        source = str(args.data)
    else:
        dataset = load_dataset(model.metadata.get("data", {}).get("dataset"), args.data_dir)
        X, y = dataset.valid.X, dataset.valid.y
        source = f"{dataset.name} validation split"
    report = evaluate_autoencoder(model.network, X, y, CLASSES)
    _print_json({"data": source, "model": str(path), **report})
    return 0


# ---------------------------------------------------------------- gradcheck
def _add_gradcheck(sub) -> None:
    p = sub.add_parser("gradcheck", help="check backprop against central differences",
                       description="Gradient check (float64, central differences) of every layer type, every "
                                   "loss, and a whole network per activation, on random data. Prints JSON; "
                                   "exit code 1 if any relative error exceeds --tol.")
    p.add_argument("--hidden", type=_positive_int, nargs="+", default=[12, 10],
                   help="hidden sizes of the whole networks checked")
    p.add_argument("--eps", type=_finite_float, default=EPS, help="finite-difference step")
    p.add_argument("--tol", type=_finite_float, default=TOLERANCE, help="largest relative error accepted")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_gradcheck)


def _gradcheck(args) -> int:
    suite = check_suite(args.seed, args.eps, tuple(args.hidden))
    worst = {name: max(r.rel_error for r in results) for name, results in suite.items()}
    passed = max(worst.values()) <= args.tol
    _print_json({"tolerance": args.tol, "passed": passed, "max_rel_error": worst,
                 "checks": {name: [vars(r) for r in results] for name, results in suite.items()}})
    return 0 if passed else 1


# ---------------------------------------------------------------- ocr
def _add_ocr(sub) -> None:
    p = sub.add_parser("ocr", help="read photographed handwritten pages",
                       description="Print the text of each photo: lines separated by newlines, words by single "
                                   "spaces. With several images each text follows a '==> NAME <==' header.")
    p.add_argument("images", type=Path, nargs="+", help="JPEG, PNG, WebP, BMP or TIFF photos")
    p.add_argument("--model", type=Path, default=None, help="classifier (default: the shipped classifier)")
    p.add_argument("--json", action="store_true", help="print JSON with boxes, lines, labels and confidences")
    p.add_argument("--no-correction", dest="correct", action="store_false",
                   help="no word-level correction at all (neither letters/digits nor dictionary)")
    p.add_argument("--no-lexicon", dest="lexicon", action="store_false",
                   help="read each word's letters and digits together, but do not use the English word list "
                        "(nor mix them more readily in a token read as letters that make no English word)")
    p.set_defaults(func=_ocr)


def _ocr(args) -> int:
    from mlcore.ocr.image_io import ImageLoadError
    from mlcore.ocr.reader import read_page

    model = load_classifier(args.model or default_classifier_path())
    load_verifier()   # a broken verifier or word recogniser file stops here, before any photo is read
    load_word_cnn()
    results, failed = [], 0
    for path in args.images:
        try:
            reading = read_page(path, model.network, model.classes, correct_words=args.correct,
                                lexicon=args.lexicon)
        except ImageLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            results.append({"image": str(path), "error": str(exc)})
            continue
        results.append({"image": str(path), **reading.to_dict()})
    if args.json:
        _print_json(results if len(results) > 1 else results[0])
    else:
        for r in results:
            if "error" in r:
                continue
            if len(args.images) > 1:
                print(f"==> {r['image']} <==")
            print(r["text"])
    return EXIT_USAGE if failed else 0


def _add_ocr_model_options(p, composed: str, model: str, *, seed: int, progress: str) -> None:
    """The options every command that trains one of the reader's own models has: where its data is, the seed
    of what it composes (`composed`), where to save `model`, and quiet."""
    p.add_argument("--data-dir", type=Path, default=None, help="data directory (default: $MLCORE_DATA_DIR or data/)")
    p.add_argument("--seed", type=int, default=seed, help=f"seed of the {composed}, initialisation and shuffling")
    p.add_argument("--out", type=Path, default=None, help=f"where to save {model} (.npz)")
    p.add_argument("--quiet", action="store_true", help=progress)


def _add_ocr_verifier(sub) -> None:
    p = sub.add_parser("ocr-verifier", help="train the reader's one-character verifier",
                       description="Train the model that tells the OCR whether a piece of a wide mark is one "
                                   "whole character (mlcore.ocr.verifier: an MLP and a CNN, trained in turn on the "
                                   "same crops composed from the handwriting data's characters, averaged). The "
                                   "shipped one: --out data/models/ocr/verifier.npz.",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--epochs", type=_positive_int, default=None,
                   help="passes over the crops, the same for each network; None: each network's own ("
                        + ", ".join(f"{r.arch} {r.train.epochs}" for r in VERIFIER_RECIPES)
                        + "); the progress shows each network's epochs in turn")
    p.add_argument("--crops", type=_positive_int, default=TRAIN_CROPS,
                   help=f"crops composed for training (10 to {MAX_CROPS}); a tenth as many for validation and test")
    _add_ocr_model_options(p, "crops", "the verifier", seed=0, progress="no progress bar")
    p.set_defaults(func=_ocr_verifier, dataset="handwriting", split_seed=0, scheduler=None)


def _ocr_verifier(args) -> int:
    recipes = tuple(replace(r, train=replace(r.train, epochs=args.epochs or r.train.epochs, seed=args.seed))
                    for r in VERIFIER_RECIPES)
    train = partial(train_verifier, n_train=args.crops)
    return _run_training(args, recipes, train, lambda m: {"accuracy": m["accuracy"], "per_class": m["per_class"]})


def _add_ocr_words(sub) -> None:
    default = WordTraining()
    p = sub.add_parser("ocr-words", help="train the reader's word recogniser",
                       description="Train the network that reads a whole word without cutting it (mlcore.ocr.words: "
                                   "a CNN read with CTC), on words composed of the handwriting data's characters, "
                                   "new ones every epoch. The reader lets it count each word's characters. The "
                                   "shipped one: --out data/models/ocr/words.npz.",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--words", type=_positive_int, default=default.words,
                   help=f"words composed for each epoch (10 to {MAX_WORDS}); a twentieth as many to validate and test")
    p.add_argument("--epochs", type=_positive_int, default=default.epochs)
    p.add_argument("--elastic", type=_finite_float, default=default.elastic, metavar="PIXELS",
                   help="RMS size of the smooth random bending of every training character, afresh each epoch "
                        f"(0 to {MAX_ELASTIC:g})")
    p.add_argument("--dropout", type=_finite_float, default=default.dropout,
                   help="the share of the hidden layer's units dropped in training (0 to below 1)")
    _add_ocr_model_options(p, "words", "the word recogniser", seed=default.seed, progress="no progress")
    p.set_defaults(func=_ocr_words)


def _ocr_words(args) -> int:
    if args.out is not None and args.out.suffix != ".npz":
        raise ValueError(f"--out must end in .npz, got {args.out}")
    config = WordTraining(words=args.words, epochs=args.epochs, elastic=args.elastic, dropout=args.dropout,
                          seed=args.seed,
                          decay_epochs=min(WordTraining.decay_epochs, args.epochs))
    dataset = load_dataset("handwriting", args.data_dir)

    def progress(epoch, loss, valid_word_accuracy):
        if not args.quiet:
            print(f"epoch {epoch}/{config.epochs}: loss {loss:.3f}, validation words read exactly "
                  f"{100 * valid_word_accuracy:.1f}%", file=sys.stderr)

    network, metadata = train_word_cnn(dataset, config, progress)
    metadata["training"] = {"command": _invocation(args), "data": dataset.fingerprint(), "config": asdict(config)}
    summary = {"model": network.describe(), **metadata["metrics"]}
    if args.out is not None:
        save_model(args.out, network, metadata)
        summary["saved"] = str(args.out)
    _print_json(summary)
    return 0


# ---------------------------------------------------------------- download
def _add_download(sub) -> None:
    p = sub.add_parser("download", help="download public handwriting (MNIST, the homework's NIST36)",
                       description="Download public handwriting into the data directory, each file verified "
                                   "before it is put in place. Only runs when you ask; needs a network "
                                   "connection. Files already there are kept: run it again to finish a "
                                   "download that was cut short.")
    p.add_argument("what", nargs="*", type=_source_name, metavar="WHAT",
                   help=f"one or more of {', '.join(SOURCES)} (default: all of them)")
    p.add_argument("--dest", type=Path, default=None, help="the data directory to fill (default: MLCORE_DATA_DIR)")
    p.add_argument("--mirror", default=None, help="fetch the same file names from this base URL instead")
    p.add_argument("--force", action="store_true", help="fetch again files that are already there")
    p.set_defaults(func=_download)


def _source_name(name: str) -> str:
    if name not in SOURCES:
        raise argparse.ArgumentTypeError(f"unknown data {name!r}; choose from {', '.join(SOURCES)}")
    return name


def _download(args) -> int:
    root = args.dest or data_dir()
    results = []
    for key in args.what or list(SOURCES):
        source = SOURCES[key] if args.mirror is None else mirrored(SOURCES[key], args.mirror)
        meter = Meter()

        def progress(done, total, key=key, meter=meter):
            line = f"[{bar(done / total)}] " if total else ""
            sys.stderr.write(f"\r{key}: {line}{meter.text(done, total)}   ")
            sys.stderr.flush()

        results.append(download(source, root, progress=progress, force=args.force))
        sys.stderr.write("\n")
    _print_json(results)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlcore", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_train, _add_tune, _add_evaluate, _add_ensemble, _add_autoencoder, _add_ocr, _add_ocr_verifier,
                _add_ocr_words, _add_gradcheck, _add_download):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command in `argv` (the process's arguments when None); the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return args.func(args)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TrainingFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
