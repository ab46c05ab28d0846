"""A study's definition, where studies are kept, and opening one (new, or the same one again).

Storage, from MLCORE_OPTUNA_STORAGE, validated here:
- unset: an SQLite database beside the runs registry (`studies.sqlite` in MLCORE_RUNS_DIR): one
  server, or the CLI, on one machine;
- an RDB URL (postgresql://user:pass@host/db, mysql://...): several servers or machines sharing
  studies, each writing at once;
- journal:/path/to/studies.log: Optuna's journal file, for several processes on machines that share
  a file system (NFS) but no database server.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from mlcore.tuning.space import Range, check_space, model_of

ENV_STORAGE = "MLCORE_OPTUNA_STORAGE"
OBJECTIVES = {"classifier": ("valid_balanced", "valid balanced accuracy"),
              "autoencoder": ("valid_psnr", "valid PSNR (dB)")}
PRUNERS = ("median", "halving", "none")
MAX_TRIALS = 500
MAX_MINUTES = 24 * 60
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. ")


@dataclass(frozen=True)
class Budget:
    """How much a search may spend: trials, epochs per trial, minutes of wall time (0: no limit)."""
    trials: int = 20
    epochs: int = 10
    minutes: float = 0.0

    def __post_init__(self):
        if not isinstance(self.trials, int) or not 1 <= self.trials <= MAX_TRIALS:
            raise ValueError(f"the budget's trials must be between 1 and {MAX_TRIALS}, got {self.trials!r}")
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(f"the budget's epochs per trial must be a positive integer, got {self.epochs!r}")
        if not 0 <= self.minutes <= MAX_MINUTES:
            raise ValueError(f"the budget's wall time must be between 0 (no limit) and {MAX_MINUTES} minutes, "
                             f"got {self.minutes!r}")


@dataclass(frozen=True)
class StudySpec:
    """Everything that defines a study: trials of two studies with the same spec compare."""
    name: str
    base: object                       # the recipe every trial starts from (ClassifierRecipe or AutoencoderRecipe)
    space: tuple[Range, ...]
    epochs: int
    dataset: str
    split_seed: int = 0
    pruner: str = "median"
    seed: int = 0                      # the sampler's

    def __post_init__(self):
        name = self.name.strip()
        if not name or len(name) > 60 or not set(name) <= NAME_CHARS:
            raise ValueError("a study's name is 1 to 60 letters, digits, spaces, '-', '_' or '.', "
                             f"got {self.name!r}")
        check_space(self.space, model_of(self.base))
        if self.pruner not in PRUNERS:
            raise ValueError(f"unknown pruner {self.pruner!r}; choose one of {', '.join(PRUNERS)}")
        object.__setattr__(self, "name", name)

    @property
    def kind(self) -> str:
        return _kind(self.base)

    @property
    def objective(self) -> str:
        """The key of the run's summary a trial is scored by."""
        return OBJECTIVES[self.kind][0]

    @property
    def objective_label(self) -> str:
        return OBJECTIVES[self.kind][1]

    def definition(self) -> dict:
        """What must match for a study of this name to be continued."""
        return {"base": self.base.to_dict(), "space": [asdict(r) for r in self.space], "epochs": self.epochs,
                "dataset": self.dataset, "split_seed": self.split_seed, "objective": self.objective,
                "pruner": self.pruner}


def _kind(recipe) -> str:
    return "autoencoder" if model_of(recipe) == "autoencoder" else "classifier"


def storage_url(env=os.environ, given: str | None = None) -> str:
    """The storage `given` (the CLI's --storage), else the one the environment names, else the SQLite
    file beside the runs registry; ValueError for one that is not an RDB URL or a journal file."""
    from mlcore.registry import runs_dir

    url = given or env.get(ENV_STORAGE) or f"sqlite:///{runs_dir() / 'studies.sqlite'}"
    if not url.startswith(("sqlite:///", "postgresql", "mysql", "journal:")):
        raise ValueError(f"a study storage (--storage, or {ENV_STORAGE}) is an RDB URL (sqlite:///..., "
                         f"postgresql://..., mysql://...) or journal:/path/to/file.log, got {url!r}")
    return url


def open_storage(url: str):
    """Optuna's storage for `url` (see the module's docstring)."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    if url.startswith("journal:"):
        return optuna.storages.JournalStorage(JournalFileBackend(url.removeprefix("journal:")))
    if url.startswith("sqlite:///"):
        from pathlib import Path
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 30}}
                                          if url.startswith("sqlite") else {})
    except ImportError as exc:   # e.g. postgresql:// without psycopg2 installed
        raise ValueError(f"the study storage {url.split('://')[0]}:// needs its database driver: {exc}") from None


def _pruner(name: str, epochs: int):
    """The pruner, judging no trial in its first fifth of epochs (at least its first): a network that
    learns slowly at first (a small learning rate, a wide layer) is not cut before it has shown its pace."""
    import optuna

    warmup = max(1, epochs // 5)
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=warmup + 1)
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=warmup + 1, reduction_factor=3)
    return optuna.pruners.NopPruner()


def stored_name(spec: StudySpec, owner: str) -> str:
    """The study's name in the storage: a visitor's studies apart from everyone else's."""
    return f"{owner}/{spec.name}" if owner else spec.name


def open_study(spec: StudySpec, storage, owner: str = "", *, fail_stale: bool = False):
    """The study `spec` names, created if new; ValueError if a study of that name exists with other settings.

    `fail_stale`: its trials still marked running are told failed (a server that restarted left them so;
    only for a caller that knows no other process runs this study's trials)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)   # the pages and the CLI say what matters
    study = optuna.create_study(study_name=stored_name(spec, owner), storage=storage, direction="maximize",
                                pruner=_pruner(spec.pruner, spec.epochs), load_if_exists=True)
    _check_definition(study, spec)
    # A study continued draws new values: its sampler's seed moves on with the trials it already has.
    study.sampler = optuna.samplers.TPESampler(seed=spec.seed + len(study.trials), constant_liar=True,
                                               n_startup_trials=6)
    if fail_stale:
        for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
    return study


def _check_definition(study, spec: StudySpec) -> None:
    wanted = json.loads(json.dumps(spec.definition()))
    existing = study.user_attrs.get("definition")
    if existing is None:
        study.set_user_attr("definition", wanted)
    elif existing != wanted:
        differ = sorted(k for k in wanted if existing.get(k) != wanted[k])
        raise ValueError(f"a study named {spec.name!r} already exists with other settings ({', '.join(differ)} "
                         "differ): choose another name, or the same settings to continue it")
