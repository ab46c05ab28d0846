"""Word-level correction of character predictions, from probabilities alone.

A handwritten word is almost always all letters or all digits, and the
classes a network confuses most are exactly letter/digit look-alikes
(O/0, I/1, S/5, Z/2, B/8, G/6). For each word of two or more characters,
each character's probability of being a letter or a digit (its class
probabilities summed over the group) is combined along the word with a small
probability of changing group between neighbours, so that a word reads all
letters or all digits unless a character is much surer of the other group
than the switch costs (mixed tokens: "4TH"); every character then takes
its most probable class within its group. Single characters keep their own
best guess.

Then, optionally, a word that reads almost like an English word becomes that
word (`Lexicon.correct`; a long one read as digits too): the dictionary word's probability under the
network's own character probabilities must be at least LEXICON_RATIO of the
reading's (of the words that are, the one most probable with how often it is written counted in).
A reading of letters that makes no dictionary word is then read again with a looser switch
(`Lexicon.reread_nonwords`): a token that is no word (a postcode's "CB2" read "CBZ") is far likelier
to mix letters and digits.
Before that, where a word's touching letters may be parted several ways, the dictionary also
says which parting to read (`Lexicon.choose`). Nothing here knows the words of any page.
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np

from mlcore.data.classes import is_letter

# How likely a word is to change between letters and digits at a given character (postcodes, "4TH",
# "B2"): chosen on the validation split by bench/word_rule.py, where it keeps words of one group as
# the strict rule does and reads most mixed tokens right.
GROUP_SWITCH = 0.03


def consistent_words(probs: np.ndarray, words: list[list[int]], switch: float = GROUP_SWITCH) -> np.ndarray:
    """Predicted class per character, each word's letters and digits chosen together.

    probs: (n_chars, n_classes) probabilities; words: character indices per word. Each word's most
    probable sequence of groups (letter or digit per character) is found by Viterbi, a change of group
    between neighbours costing a factor `switch` (0: every word all letters or all digits); each
    character then takes its most probable class within its group.
    """
    if not 0 <= switch < 1:
        raise ValueError(f"switch is a probability below 1, got {switch}")
    pred = probs.argmax(axis=1)
    letter_cols = is_letter(np.arange(probs.shape[1]))
    for word in words:
        if len(word) < 2:
            continue
        p = probs[word]
        in_group = np.stack([p[:, letter_cols].sum(1), p[:, ~letter_cols].sum(1)], axis=1)
        groups = _group_path(np.log(np.clip(in_group, 1e-12, None)), switch)
        pred[word] = np.where(letter_cols[None, :] == (groups == 0)[:, None], p, -1.0).argmax(axis=1)
    return pred


def _group_path(log_emit: np.ndarray, switch: float) -> np.ndarray:
    """The most probable group per character (0 letters, 1 digits) from log P(group) (n, 2)."""
    with np.errstate(divide="ignore"):
        stay, change = np.log1p(-switch), np.log(switch)
    transition = np.array([[stay, change], [change, stay]])
    score, back = log_emit[0].copy(), np.zeros(log_emit.shape, dtype=np.int8)
    for t in range(1, len(log_emit)):
        options = score[:, None] + transition          # options[i, j]: from group i to group j
        back[t] = options.argmax(axis=0)
        score = options.max(axis=0) + log_emit[t]
    path = np.empty(len(log_emit), dtype=np.int8)
    path[-1] = score.argmax()
    for t in range(len(log_emit) - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


# A dictionary word replaces the network's reading of a word when it is at least
# this fraction as probable (under the network's own character probabilities):
# only characters the network is unsure of change, and an unknown word read
# confidently stays as it is.
LEXICON_RATIO = 0.01
# A word read with any digit is offered the dictionary too, when it has at least this many characters: the
# word rule turns a whole word to digits when its letters look like digits ("DOGS" read "0065"), while
# numbers of two or three characters could too easily read as short words ("10" as "IO", "505" as "SOS").
LEXICON_MIN_WITH_DIGITS = 4
# Of the dictionary words near enough to a reading (LEXICON_RATIO), the one taken is the most probable with
# this weight on the log of how often it is written: the dictionary holds rare words and abbreviations
# ("ROOK", "PKWY") beside common ones. On the validation split's pages, 0.4 read fine pen 0.4 points better,
# broken strokes and blur 0.2, 12 px 0.2, none worse (0.2: most of that).
FREQUENCY_WEIGHT = 0.4
# The switch between letters and digits for a reading of letters that is no dictionary word
# (Lexicon.reread_nonwords). GROUP_SWITCH is the price of a change of group in words, and most tokens are
# words; a token read as letters that make none ("CBZ", "ITN", "YTH", where a postcode's "CB2" and "1TN" and
# "4TH" were written) is a code, a name or an abbreviation, which mix letters and digits far more often. At
# 0.3 a character at a token's end changes group when it is 2.3 times surer of the other group (one inside,
# changing twice, 5.4 times). On the validation split's pages of bench/ocr_conditions.py (30 a condition),
# 0.1 / 0.2 / 0.3 / 0.5 read the conditions 0.27 / 0.48 / 0.55 / 0.57 points better on average, none worse;
# 0.5 read low resolution and the card 0.3 below 0.3. What it costs letters that make no word, as names do:
# bench/word_rule.py's random strings of letters read 98.09 -> 97.55 on the validation split, the same on test.
NONWORD_SWITCH = 0.3


class Lexicon:
    """English words as class-index arrays grouped by length, each with the log of how often it is written,
    for scoring whole words at once. `words`: how often each word is written ({word: count}), or the words
    alone, each as common as the others."""

    def __init__(self, words: Mapping[str, int] | Iterable[str], classes):
        counts = words if isinstance(words, Mapping) else dict.fromkeys(words, 1)
        bad = [w for w, c in counts.items() if isinstance(c, bool) or not isinstance(c, int) or c < 1]
        if bad:   # a count of 0 would be log 0: the word could never be taken
            raise ValueError(f"a word's count is a whole number of times it is written, 1 or more: {bad[:3]}")
        index = {c: i for i, c in enumerate(classes)}
        upper: Counter[str] = Counter()
        for word, count in counts.items():       # "Dont" and "dont" are one word
            if word.isalpha() and all(c in index for c in word.upper()):
                upper[word.upper()] += count
        by_length: dict[int, list[str]] = {}
        for word in upper:
            by_length.setdefault(len(word), []).append(word)
        self.by_length = {n: np.array([[index[c] for c in w] for w in v], dtype=np.int16) for n, v in by_length.items()}
        self.log_counts = {n: np.log([upper[w] for w in v]).astype(np.float32) for n, v in by_length.items()}
        self.classes = tuple(classes)

    def __len__(self):
        return sum(len(v) for v in self.by_length.values())

    def correct(self, probs: np.ndarray, words: list[list[int]], pred: np.ndarray,
                ratio: float = LEXICON_RATIO) -> np.ndarray:
        """`pred` with each word replaced by a dictionary word of its length at least `ratio` times as
        probable as the reading itself, if there is one (_best_word: the most probable, with how often it is
        written counted in), for words of two or more letters, or of LEXICON_MIN_WITH_DIGITS or more
        characters when read with digits."""
        pred = pred.copy()
        logp = np.log(np.clip(probs, 1e-12, None))
        for word in words:
            candidates = self.by_length.get(len(word))
            letters = self._letters(pred[word])
            if len(word) < (2 if letters else LEXICON_MIN_WITH_DIGITS) or candidates is None:
                continue
            floor = logp[word][np.arange(len(word)), pred[word]].sum() + np.log(ratio)
            best = _best_word(logp[word], candidates, self.log_counts[len(word)], floor)
            if best is not None:
                pred[word] = best
        return pred

    def reread_nonwords(self, probs: np.ndarray, words: list[list[int]], pred: np.ndarray,
                        switch: float = NONWORD_SWITCH) -> np.ndarray:
        """`pred` with each word that reads as letters making no dictionary word (after `correct`) read
        again by `consistent_words` with the looser `switch`."""
        pred = pred.copy()
        for word in words:
            if self._letters(pred[word]) and not self._holds(pred[word]):
                pred[word] = consistent_words(probs[word], [list(range(len(word)))], switch)
        return pred

    def holds(self, text: str) -> bool:
        """Whether `text` is a dictionary word."""
        index = {c: i for i, c in enumerate(self.classes)}
        return all(c in index for c in text) and self._holds(np.array([index[c] for c in text], dtype=np.int16))

    def _holds(self, labels: np.ndarray) -> bool:
        """Whether the class indices `labels` spell a dictionary word."""
        candidates = self.by_length.get(len(labels))
        return candidates is not None and bool((candidates == np.asarray(labels)).all(axis=1).any())

    def _letters(self, labels: np.ndarray) -> bool:
        """Whether every class index in `labels` is a letter."""
        return all(self.classes[k].isalpha() for k in labels)

    def fits(self, probs: np.ndarray, ratio: float = LEXICON_RATIO) -> bool:
        """Whether a word of two or more characters, its class probabilities `probs` (n, classes), reads
        as a dictionary word: some word of its length at least `ratio` times as probable as its most
        probable reading."""
        candidates = self.by_length.get(len(probs))
        if len(probs) < 2 or candidates is None:
            return False
        logp = np.log(np.clip(probs, 1e-12, None))
        floor = logp.max(axis=1).sum() + np.log(ratio)
        return _best_word(logp, candidates, self.log_counts[len(probs)], floor) is not None

    def choose(self, readings: list[np.ndarray]) -> int:
        """Which of a word's readings to keep, given each one's class probabilities (n, classes), the most
        probable reading first: that one, unless it reads with letters (after the word rule: "Q2IICK" is
        letters) that make no dictionary word (fits) and another reading of MIN_CHOSEN_WORD characters or
        more makes one (the first such). A number is kept. A mixed token ("4TH") is not kept for itself: only a
        reading of MIN_CHOSEN_WORD or more characters that makes a dictionary word replaces it, and letters parted
        wrong make such tokens (an N parted "14", an M "1VI"; on the validation split's pages, choosing for them
        read perspective 1.2 points better, low resolution 0.6, faint pencil 0.5, none worse)."""
        first = readings[0]
        read = consistent_words(first, [list(range(len(first)))])
        if not any(self.classes[k].isalpha() for k in read) or self.fits(first):
            return 0
        fits = [len(p) >= MIN_CHOSEN_WORD and self.fits(p) for p in readings[1:]]
        return 1 + fits.index(True) if any(fits) else 0


def _best_word(logp: np.ndarray, candidates: np.ndarray, log_counts: np.ndarray, floor: float) -> np.ndarray | None:
    """Of the dictionary words `candidates` (words, n) of class indices whose log-probability under the
    characters' log-probabilities `logp` (n, classes) is at least `floor`, the one whose log-probability plus
    FREQUENCY_WEIGHT times the log of how often it is written (`log_counts`, (words,)) is greatest (None: no
    word reaches the floor)."""
    scores = logp[np.arange(len(logp)), candidates].sum(axis=1)
    ranked = np.where(scores >= floor, scores + FREQUENCY_WEIGHT * log_counts, -np.inf)
    best = int(ranked.argmax())
    return candidates[best] if np.isfinite(ranked[best]) else None


# The shortest word the dictionary may choose a word's parting for (Lexicon.choose). It holds hundreds of
# words of two and three letters (abbreviations, "OM", "RN", "CRU"), which one letter parted in two or a
# pair read as one make ("AT" parted "LIT", "CALL" read "CRU"): on the validation split's touching pages,
# with words of three letters chosen too, touching letters read 0.7 points worse; with four, as well as before.
MIN_CHOSEN_WORD = 4


# The reader has no apostrophe: "DON'T" is read, and written in a page's true text, as "DONT". Only
# contractions lose theirs: a possessive's "'S" would add a plural-looking word for every name and
# letter (from "J'S", "JS", and "IS" read with an unsure I became "JS").
CONTRACTIONS = ("n't", "'re", "'m", "'ll", "'ve", "'d")

_BUILDING = threading.Lock()


def english_lexicon(classes) -> Lexicon:
    """The English words of pyspellchecker's frequency list, built once per process (a lock: two visitors'
    first pages would otherwise build it twice at once). The list counts words in OpenSubtitles as they
    are written, inflected ("MAPS", "THINGS", "DEEPER"): a dictionary of headwords has none of those
    forms, and a word read one letter wrong could only become another headword ("MAPD" had no "MAPS" to
    become). About 128,000 of its 160,000 entries are words of A-Z alone; they include some
    abbreviations and subtitle slips ("QQ", "LX"), which LEXICON_RATIO keeps from overruling a sure reading."""
    with _BUILDING:
        return _english(tuple(classes))


@lru_cache(maxsize=2)
def _english(classes: tuple[str, ...]) -> Lexicon:
    from spellchecker import SpellChecker

    counts: Counter[str] = Counter()
    for word, count in SpellChecker(language="en", distance=1).word_frequency.dictionary.items():
        counts[_without_apostrophe(word)] += count
    return Lexicon(counts, classes)


def _without_apostrophe(word: str) -> str:
    return word.replace("'", "") if word.endswith(CONTRACTIONS) else word
