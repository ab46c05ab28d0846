"""A word read whole, without cutting it: the word recogniser (mlcore.architectures.build_word_cnn, read with CTC).

The reader cuts a page into characters and reads each one alone. Where characters touch or overlap, a cut can
be missed, so that two characters are read as one ("14" as H, "0412" as "040"). The word recogniser reads the
image of a whole word, column by column, and says how probable any reading of it is: CTC sums over every way
of placing the reading's characters along the columns, so no cut is needed. mlcore.ocr.counting lets it
count a word's characters.

It learns from words composed of real characters of one split (each split's words from that split's own
characters, as the verifier's crops are, so its test figures are on characters it never saw):
- the text is an English word (drawn as often as it is written, softened by a square root), a number, a
  token mixing letters and digits, or a random string (TEXT_SHARE);
- its characters are written at heights within 15% of each other, their tops a little uneven, overlapping,
  touching, spaced or widely spaced (SPACING), some words blurred;
- for training, every character is first augmented as the classifiers' training characters are.
A word image is the word's soft ink scaled so that its characters are CHAR_PX high, centred in HEIGHT rows
(word_image): the reader's words are cut to that convention.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage.transform import resize

from mlcore.architectures import build_word_cnn
from mlcore.data.augment import MAX_ELASTIC, Augmentation
from mlcore.data.datasets import Dataset, Split
from mlcore.data.paths import models_dir
from mlcore.losses import log_softmax
from mlcore.model_io import ModelFileError, SavedModel, load_model
from mlcore.network import Network
from mlcore.ocr.postprocess import english_lexicon
from mlcore.ocr.verifier import character_inks
from mlcore.optimizers import Adam

HEIGHT = 32          # rows of a word image
CHAR_PX = 22         # the height a word's characters are scaled to
STRIDE = 4           # columns per frame of the network's output
MARGIN = 4           # empty columns either side of a word
MAX_COLUMNS = 1024   # a word image's width, at most (some 45 characters): a bound on what one word costs
# Image columns read at once, however many words: what a batch holds in memory is bounded by this alone (the
# widest layer, the second convolution's 3x3 windows of 24 channels over half the rows and columns, some
# 28 MB in float32).
BATCH_COLUMNS = 4096
TEXT_SHARE = {"word": 0.35, "number": 0.2, "mixed": 0.15, "random": 0.3}
# The gap before each character, in character heights: (range, share of words).
SPACING = (((-0.07, 0.0), 0.35), ((0.0, 0.4), 0.35), ((0.4, 0.9), 0.2), ((-0.07, 0.9), 0.1))
BLURRED = 0.3        # the share of words blurred (sigma 0.3-1.0 px)
MAX_LENGTH = 9       # characters in a training word, at most
MAX_TRIES = 50       # texts drawn for each word composed, at most (a text needs a sample of each of its classes)
# A composed word is some 4 KB a character and training holds one epoch's words at a time: a bound on what
# one command may allocate.
MAX_WORDS = 60_000


@dataclass(frozen=True)
class WordTraining:
    """How the word recogniser is trained: `words` new words composed every epoch, Adam at `lr`, multiplied by
    `decay` for the last `decay_epochs` epochs. The train split has some 200 characters a class, so the network
    learns its writers' characters by heart unless they are bent afresh every epoch (`elastic` pixels, as the
    classifier's CNNs are) and its hidden units dropped (`dropout`)."""
    words: int = 20_000
    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    decay: float = 0.3
    decay_epochs: int = 4
    channels: tuple[int, ...] = (24, 48, 80, 80)
    hidden: int = 192
    elastic: float = 1.5
    dropout: float = 0.2
    seed: int = 0

    def __post_init__(self):
        for name, value, low, high in (("words", self.words, 10, MAX_WORDS), ("epochs", self.epochs, 1, 200),
                                       ("batch_size", self.batch_size, 1, 1024),
                                       ("decay_epochs", self.decay_epochs, 0, self.epochs)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
                raise ValueError(f"the word recogniser's {name} must be a whole number from {low} to {high}, "
                                 f"got {value!r}")
        if not (0 < self.lr <= 1 and 0 < self.decay <= 1):
            raise ValueError(f"the word recogniser's lr and decay are in (0, 1], got {self.lr} and {self.decay}")
        if isinstance(self.dropout, bool) or not 0 <= self.dropout < 1:
            raise ValueError(f"the word recogniser's dropout is in [0, 1), got {self.dropout!r}")
        if isinstance(self.elastic, bool) or not 0 <= self.elastic <= MAX_ELASTIC:
            raise ValueError(f"the word recogniser's elastic is in [0, {MAX_ELASTIC:g}] pixels, got {self.elastic!r}")


def word_cnn_path() -> Path:
    return models_dir() / "ocr" / "words.npz"


def word_image(ink: np.ndarray, char_height: float) -> tuple[np.ndarray, float]:
    """A word's soft ink (h, w), 1 = ink, cropped to it, whose characters are `char_height` pixels high ->
    the network's image (HEIGHT, W) float32, W a multiple of STRIDE (at most MAX_COLUMNS: a longer word is
    squeezed), and how many image columns one ink column became."""
    scale = CHAR_PX / max(float(char_height), 1.0)
    height, width = (max(2, int(round(n * scale))) for n in ink.shape)
    if height > HEIGHT - 2:          # taller than a line of characters (a stroke above it): fitted in
        width, height = max(2, int(round(width * (HEIGHT - 2) / height))), HEIGHT - 2
    width = min(width, MAX_COLUMNS - 2 * MARGIN - STRIDE)
    small = np.clip(resize(ink.astype(np.float32), (height, width), order=1, anti_aliasing=scale < 1), 0.0, 1.0)
    image = np.zeros((HEIGHT, int(np.ceil((width + 2 * MARGIN) / STRIDE)) * STRIDE), dtype=np.float32)
    top = (HEIGHT - height) // 2
    image[top:top + height, MARGIN:MARGIN + width] = small
    return image, width / ink.shape[1]


def frame_column(frame: float, x_scale: float) -> float:
    """The ink column (of the ink word_image was given) at the centre of a frame of the network's output."""
    return (STRIDE * frame + STRIDE / 2 - MARGIN) / x_scale


def _batches(widths: list[int], columns: int) -> list[list[int]]:
    """Indices of images in batches of like widths, each no more than `columns` wide in all once padded to its
    widest (an image wider than that alone)."""
    batches: list[list[int]] = []
    for i in np.argsort(widths, kind="stable").tolist():      # each image the widest of its batch so far
        if not batches or (len(batches[-1]) + 1) * widths[i] > columns:
            batches.append([])
        batches[-1].append(i)
    return batches


def _padded(images: list[np.ndarray], batch, dtype) -> np.ndarray:
    """The images `batch` indexes as one network input (len(batch), HEIGHT, widest, 1), each padded on the
    right with empty columns."""
    x = np.zeros((len(batch), HEIGHT, max(images[i].shape[1] for i in batch), 1), dtype=dtype)
    for row, i in enumerate(batch):
        x[row, :, :images[i].shape[1], 0] = images[i]
    return x


def log_probs(network: Network, images: list[np.ndarray], columns: int = BATCH_COLUMNS) -> list[np.ndarray]:
    """Each word image's per-frame class log-probabilities (W / STRIDE, classes + blank), read in batches of
    images of like widths (_batches; padded with empty columns to the widest of the batch)."""
    out: list[np.ndarray] = [np.zeros(0)] * len(images)
    for batch in _batches([image.shape[1] for image in images], columns):
        x = _padded(images, batch, network.dtype)
        logp = log_softmax(network.forward(x).astype(np.float64))
        for row, i in enumerate(batch):
            out[i] = logp[row, :images[i].shape[1] // STRIDE]
    return out


def greedy_runs(logp: np.ndarray) -> list[tuple[int, int, int]]:
    """The most probable class of each frame, repeats merged and blanks (the last class) dropped: each
    character read as (class, first frame, last frame)."""
    best, blank = logp.argmax(axis=1), logp.shape[1] - 1
    runs: list[tuple[int, int, int]] = []
    for t, k in enumerate(best.tolist()):
        if k == blank:
            continue
        if runs and runs[-1][0] == k and runs[-1][2] == t - 1:
            runs[-1] = (k, runs[-1][1], t)
        else:
            runs.append((k, t, t))
    return runs


def encode(texts: list[str], classes) -> np.ndarray:
    """Texts as class indices (N, longest), padded with -1 (CTC's labels)."""
    index = {c: i for i, c in enumerate(classes)}
    labels = np.full((len(texts), max([1, *map(len, texts)])), -1, dtype=np.int64)
    for row, text in enumerate(texts):
        labels[row, :len(text)] = [index[c] for c in text]
    return labels


def read_texts(logps: list[np.ndarray], classes) -> list[str]:
    return ["".join(classes[k] for k, _, _ in greedy_runs(logp)) for logp in logps]


class TextSource:
    """Texts to compose training words of (TEXT_SHARE): English words from the reader's dictionary
    (mlcore.ocr.postprocess.english_lexicon), numbers, tokens that mix letters and digits, random strings."""

    def __init__(self, classes):
        lexicon = english_lexicon(classes)
        self.classes = tuple(classes)
        self.letters = [c for c in self.classes if c.isalpha()]
        self.digits = [c for c in self.classes if c.isdigit()]
        self.words = ["".join(self.classes[k] for k in word) for n, words in sorted(lexicon.by_length.items())
                      if n <= MAX_LENGTH for word in words]
        weight = np.concatenate([np.exp(0.5 * lexicon.log_counts[n]) for n in sorted(lexicon.by_length)
                                 if n <= MAX_LENGTH])
        self.word_p = weight / weight.sum()

    def __call__(self, rng: np.random.Generator) -> str:
        kind = rng.choice(list(TEXT_SHARE), p=list(TEXT_SHARE.values()))
        if kind == "word":
            return self.words[rng.choice(len(self.words), p=self.word_p)]
        if kind == "number":
            return "".join(rng.choice(self.digits, size=rng.integers(1, 7)))
        if kind == "random":
            return "".join(rng.choice(self.classes, size=rng.integers(1, MAX_LENGTH)))
        group, text = int(rng.integers(2)), []
        for _ in range(rng.integers(2, 7)):
            group = 1 - group if rng.random() < 0.3 else group
            text.append(rng.choice(self.digits if group else self.letters))
        return "".join(text)


def compose_word(text: str, inks: list[list[np.ndarray]], rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """The ink (h, w) of `text` written with characters drawn from `inks` (per class index of `text`'s
    characters, each cropped to its ink), cropped to its rows, and its characters' nominal height."""
    low, high = SPACING[rng.choice(len(SPACING), p=[share for _, share in SPACING])][0]
    size = CHAR_PX * rng.uniform(0.9, 1.1)
    placed, x = [], MARGIN
    for k in text:
        pool = inks[k]
        glyph = pool[rng.integers(len(pool))]
        height = max(3, int(round(size * rng.uniform(0.85, 1.1))))
        width = max(2, int(round(height * glyph.shape[1] / glyph.shape[0])))
        top = int(round(size)) - height + int(rng.integers(-2, 3)) + 2
        placed.append((max(top, 0), x, np.clip(resize(glyph, (height, width), order=1, anti_aliasing=True), 0, 1)))
        x += width + int(round(size * rng.uniform(low, high)))
    ink = np.zeros((max(t + g.shape[0] for t, _, g in placed), max(x + g.shape[1] for _, x, g in placed) + MARGIN),
                   dtype=np.float32)
    for top, left, glyph in placed:
        region = ink[top:top + glyph.shape[0], left:left + glyph.shape[1]]
        np.maximum(region, glyph, out=region)
    if rng.random() < BLURRED:
        ink = ndimage.gaussian_filter(ink, rng.uniform(0.3, 1.0))
        ink /= max(float(ink.max()), 1e-6)
    rows = np.flatnonzero(ink.max(axis=1) > 0.2)
    return ink[rows[0]:rows[-1] + 1], size


def word_samples(split: Split, n: int, texts: TextSource, rng: np.random.Generator,
                 augmentation: Augmentation | None = None) -> tuple[list[np.ndarray], list[str]]:
    """`n` word images composed from the characters of `split` (augmented first, if given), and their texts."""
    X = augmentation(split.X, rng) if augmentation is not None else split.X
    glyphs = character_inks(X)
    inks = [[glyphs[i] for i in np.flatnonzero(split.y == k)] for k in range(len(texts.classes))]
    images, words = [], []
    for _ in range(MAX_TRIES * n):
        if len(images) == n:
            break
        text = texts(rng)
        if any(not inks[texts.classes.index(c)] for c in text):
            continue
        image, _ = word_image(*compose_word([texts.classes.index(c) for c in text], inks, rng))
        # CTC needs a frame for every character and a blank between repeats: a word of narrow 1s may not have them.
        if image.shape[1] // STRIDE >= len(text) + sum(a == b for a, b in zip(text, text[1:])):
            images.append(image)
            words.append(text)
    if len(images) < n:
        raise ValueError(f"could not compose {n} words from these characters (too few classes have samples)")
    return images, words


def word_accuracy(network: Network, images: list[np.ndarray], texts: list[str], classes) -> float:
    """The share of words read exactly (the most probable class of every frame, repeats merged, blanks dropped)."""
    read = read_texts(log_probs(network, images), classes)
    return float(np.mean([a == b for a, b in zip(read, texts)])) if texts else 0.0


def _epoch(network: Network, optimizer: Adam, images, texts, classes, config: WordTraining,
           rng: np.random.Generator) -> float:
    """One pass over the words in batches of like widths, in random order; the mean loss."""
    order = np.argsort([image.shape[1] + rng.uniform(0, 2 * STRIDE) for image in images])
    batches = [order[i:i + config.batch_size] for i in range(0, len(order), config.batch_size)]
    losses = []
    for b in rng.permutation(len(batches)):
        batch = batches[b]
        x = _padded(images, batch, network.dtype)
        loss, _ = network.loss_and_gradients(x, encode([texts[i] for i in batch], classes))
        optimizer.step(network)
        losses.append(loss)
    return float(np.mean(losses))


def train_word_cnn(chars: Dataset, config: WordTraining = WordTraining(), progress=None) -> tuple[Network, dict]:
    """The word recogniser trained on words composed from `chars` (a handwriting dataset): `config.words` new
    words from the train split every epoch, its characters augmented; its word accuracy on words composed of
    the validation and test splits' characters (not augmented). `progress(epoch, loss, valid accuracy)` is
    called after every epoch."""
    rng = np.random.default_rng(config.seed)
    texts = TextSource(chars.classes)
    held_out = {name: word_samples(getattr(chars, name), max(config.words // 20, 10), texts, rng)
                for name in ("valid", "test")}
    network = build_word_cnn(config.channels, config.hidden, n_out=len(chars.classes) + 1, dropout=config.dropout,
                             seed=config.seed)
    optimizer = Adam(config.lr)
    history = []
    for epoch in range(config.epochs):
        if epoch == config.epochs - config.decay_epochs:
            optimizer.lr *= config.decay
        images, words = word_samples(chars.train, config.words, texts, rng, Augmentation(elastic=config.elastic))
        loss = _epoch(network, optimizer, images, words, texts.classes, config, rng)
        history.append({"epoch": epoch + 1, "loss": loss,
                        "valid_word_accuracy": word_accuracy(network, *held_out["valid"], texts.classes)})
        if progress is not None:
            progress(**history[-1])
    metrics = {f"{name}_word_accuracy": word_accuracy(network, *held_out[name], texts.classes) for name in held_out}
    return network, {"classes": [*chars.classes, "blank"], "metrics": metrics, "history": history}


@lru_cache(maxsize=4)
def load_word_cnn(path: Path | None = None) -> SavedModel:
    """The word recogniser in `path` (default: the shipped one), loaded once per process and shared; its
    classes end with the blank."""
    path = path or word_cnn_path()
    model = load_model(path)
    if model.network.loss_name != "ctc" or model.classes[-1:] != ("blank",) \
            or len(model.classes) != model.network.output_shape[-1]:
        raise ModelFileError(f"{path}: not a word recogniser (loss {model.network.loss_name}, classes "
                             f"{', '.join(model.classes[-3:])})")
    return model
